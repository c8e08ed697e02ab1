// Calls DescribeAutoMLJob through the AWS SDK for JavaScript v3 against an endpoint URL and
// prints one JSON line per job name: what the SDK parsed, or the service error it raised.
// Usage: node describe.mjs ENDPOINT_URL JOB_NAME...
import { DescribeAutoMLJobCommand, SageMakerClient } from "@aws-sdk/client-sagemaker";

const [endpoint, ...names] = process.argv.slice(2);
const client = new SageMakerClient({
  endpoint,
  region: "us-east-1",
  maxAttempts: 1,
  // Dummy credentials given explicitly, so the SDK never looks for real ones.
  credentials: { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "dummy-secret-for-tests" },
});

for (const name of names) {
  try {
    const job = await client.send(new DescribeAutoMLJobCommand({ AutoMLJobName: name }));
    console.log(JSON.stringify({
      ok: true,
      name: job.AutoMLJobName,
      status: job.AutoMLJobStatus,
      secondaryStatus: job.AutoMLJobSecondaryStatus,
      // A Date only when the SDK parsed the epoch-seconds timestamp as the model says.
      creationTime: job.CreationTime instanceof Date ? job.CreationTime.toISOString() : null,
      bestCandidate: job.BestCandidate?.CandidateName ?? null,
      httpStatusCode: job.$metadata.httpStatusCode,
      requestId: job.$metadata.requestId,
    }));
  } catch (error) {
    console.log(JSON.stringify({
      ok: false,
      error: error.name,
      message: error.message,
      fault: error.$fault ?? null,
      httpStatusCode: error.$metadata?.httpStatusCode ?? null,
    }));
  }
}
