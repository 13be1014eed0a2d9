import { Validations } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';
import { StageSettings } from './config';
import type { ImageServiceStack } from './image-service-stack';

export interface NagContext {
  readonly logsBucket?: s3.Bucket;
  readonly apiAccessLogs?: logs.LogGroup;
}

function ack(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions::AwsSolutions-${rule}`, reason });
}

/**
 * cdk-nag AwsSolutions findings this design accepts, each with its reason. Everything else
 * is fixed in the stack (TLS-only buckets, no managed policies on the function role,
 * TLS 1.2_2021 on CloudFront, access logs where the stage enables them).
 */
export function acknowledgeFindings(stack: ImageServiceStack, s: StageSettings, ctx: NagContext): void {
  const apiStage = stack.api.deploymentStage;
  const logsOff = 'Access logging is switched off for this stage in config/stages.json (accessLogs.enabled=false) to keep non-production stages cheap; production stages turn it on.';

  // --- S3 --------------------------------------------------------------------------------
  if (ctx.logsBucket) {
    ack(ctx.logsBucket, 'S1', 'This is the access-log bucket itself; logging it into itself would loop.');
  } else {
    ack(stack.bucket, 'S1', logsOff);
  }
  if (s.bucket.publicRead) {
    ack(stack.bucket, 'S2', 'Public read of originals is an explicit opt-in of this stage (bucket.publicRead=true); writes stay private and TLS-only.');
    ack(stack.bucket, 'S5', 'Public read is an explicit opt-in; the service itself reaches S3 through the Lambda role, not through CloudFront.');
  }

  // --- IAM -------------------------------------------------------------------------------
  const policy = stack.function.role?.node.tryFindChild('DefaultPolicy');
  if (policy) {
    const bucketId = stack.getLogicalId(stack.bucket.node.defaultChild as s3.CfnBucket);
    ack(policy, `IAM5[Resource::<${bucketId}.Arn>/*]`, 'Object actions (get/put/delete) need the object wildcard <bucket ARN>/*, scoped to this stage\'s bucket only; the Lambda reads and writes arbitrary keys under it.');
  }
  const cwRole = stack.api.node.tryFindChild('CloudWatchRole');
  if (cwRole) {
    ack(cwRole, 'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]', 'AmazonAPIGatewayPushToCloudWatchLogs is the AWS-managed policy API Gateway expects on its account-wide logging role.');
  }

  // --- API Gateway -----------------------------------------------------------------------
  ack(stack.api, 'APIG2', 'Lambda proxy integration for arbitrary image paths: the Lambda validates paths, query parameters and bodies itself.');
  ack(stack.api, 'APIG4', 'Serving images (GET/HEAD) is public by design, or guarded by signed URLs that the Lambda checks (signing.mode). Uploads, deletes and the listing are authorised inside the Lambda (bearer tokens), which also refuses routes disabled for the stage.');
  ack(stack.api, 'COG4', 'No Cognito users exist for this service: reads are public, writes are authorised by the Lambda with bearer tokens.');
  ack(apiStage, 'APIG3', 'Clients reach the API through CloudFront; a WAF web ACL is attached there (cloudfront.webAclArn) rather than on the regional API.');
  if (!ctx.apiAccessLogs) {
    ack(apiStage, 'APIG1', logsOff);
    ack(apiStage, 'APIG6', `${logsOff} API Gateway execution logging also needs the account-wide CloudWatch role.`);
  }

  // --- CloudFront ------------------------------------------------------------------------
  ack(stack.distribution, 'CFR1', 'Images are served worldwide; there is no geographic restriction requirement.');
  if (!s.cloudfront.webAclArn) {
    ack(stack.distribution, 'CFR2', 'No WAF web ACL is configured for this stage (cloudfront.webAclArn); API Gateway throttling limits abuse.');
  }
  if (!ctx.logsBucket) {
    ack(stack.distribution, 'CFR3', logsOff);
  }
}
