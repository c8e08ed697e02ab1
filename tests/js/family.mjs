// Reads one AutoML job through the AWS SDK for JavaScript v3 as a pipeline does: DescribeAutoMLJob,
// DescribeAutoMLJobV2, and every candidate through the SDK's paginator, PAGE_SIZE a page.
// Prints one JSON object. Usage: node family.mjs ENDPOINT_URL JOB_NAME PAGE_SIZE
import {
  DescribeAutoMLJobCommand,
  DescribeAutoMLJobV2Command,
  SageMakerClient,
  paginateListCandidatesForAutoMLJob,
} from "@aws-sdk/client-sagemaker";

const [endpoint, name, pageSize] = process.argv.slice(2);
const client = new SageMakerClient({
  endpoint,
  region: "us-east-1",
  maxAttempts: 1,
  credentials: { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "dummy-secret-for-tests" },
});

const v1 = await client.send(new DescribeAutoMLJobCommand({ AutoMLJobName: name }));
const v2 = await client.send(new DescribeAutoMLJobV2Command({ AutoMLJobName: name }));
const pages = [];
for await (const page of paginateListCandidatesForAutoMLJob(
  { client, pageSize: Number(pageSize) }, { AutoMLJobName: name })) {
  pages.push(page.Candidates.map((candidate) => candidate.CandidateName));
}
console.log(JSON.stringify({
  arn: v1.AutoMLJobArn,
  v2Arn: v2.AutoMLJobArn,
  best: v1.BestCandidate?.CandidateName ?? null,
  v2Best: v2.BestCandidate?.CandidateName ?? null,
  problemTypeConfigName: v2.AutoMLProblemTypeConfigName,
  v2Created: v2.CreationTime instanceof Date ? v2.CreationTime.toISOString() : null,
  pages,
}));
