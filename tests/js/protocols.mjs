// S3 (rest-xml) and STS (query) through the AWS SDK for JavaScript v3 against an endpoint URL;
// prints one JSON line per call: what the SDK parsed, or the service error it raised.
// Usage: node protocols.mjs ENDPOINT_URL BUCKET KEY MISSING_KEY
import { createHash } from "node:crypto";
import { GetObjectCommand, HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";

const [endpoint, bucket, key, missingKey] = process.argv.slice(2);
const common = {
  endpoint,
  region: "us-east-1",
  maxAttempts: 1,
  // Dummy credentials given explicitly, so the SDK never looks for real ones.
  credentials: { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "dummy-secret-for-tests" },
};
const s3 = new S3Client({ ...common, forcePathStyle: true });
const sts = new STSClient(common);

async function report(name, call) {
  try {
    console.log(JSON.stringify({ call: name, ok: true, ...(await call()) }));
  } catch (error) {
    console.log(JSON.stringify({
      call: name, ok: false, error: error.name, message: error.message,
      httpStatusCode: error.$metadata?.httpStatusCode ?? null,
    }));
  }
}

await report("GetObject", async () => {
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const bytes = await got.Body.transformToByteArray();
  return { length: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") };
});
await report("HeadObject", async () => {
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  return { contentLength: head.ContentLength, etag: head.ETag };
});
await report("GetObjectMissing", async () => {
  await s3.send(new GetObjectCommand({ Bucket: bucket, Key: missingKey }));
  return {};
});
await report("GetCallerIdentity", async () => {
  const identity = await sts.send(new GetCallerIdentityCommand({}));
  return { account: identity.Account, arn: identity.Arn };
});
