import { CfnResource, Stack, Validations } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';
import { StageSettings } from './config';
import type { ImageServiceStack } from './image-service-stack';

export interface NagContext {
  readonly logsBucket?: s3.Bucket;
  readonly apiAccessLogs?: logs.LogGroup;
  readonly results?: s3.Bucket;
}

function ack(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions::AwsSolutions-${rule}`, reason });
}

/** The CloudFormation resource behind a construct (itself when it is one). */
function cfnOf(scope: IConstruct): CfnResource {
  if (CfnResource.isCfnResource(scope)) return scope;
  const child = scope.node.defaultChild;
  if (!child || !CfnResource.isCfnResource(child)) throw new Error(`${scope.node.path} has no CloudFormation resource`);
  return child;
}

/**
 * A checkov suppression on one resource (`Metadata.checkov.skip`), for findings that depend on
 * the stage's settings: a global skip in checkov.yaml would hide them on stages where they are real.
 */
export function checkovSkip(scope: IConstruct, id: string, comment: string): void {
  const cfn = cfnOf(scope);
  const current = (cfn.getMetadata('checkov') as { skip: { id: string; comment: string }[] } | undefined) ?? { skip: [] };
  cfn.addMetadata('checkov', { skip: [...current.skip, { id, comment }] });
}

/**
 * Lambda functions the CDK adds for its own custom resources (bucket auto-delete on stages that do
 * not retain their bucket): they run only during deploys, so a concurrency reservation buys nothing.
 */
function skipCdkProviderFunctions(stack: Stack): void {
  for (const c of stack.node.findAll()) {
    if (CfnResource.isCfnResource(c) && c.cfnResourceType === 'AWS::Lambda::Function' && c.node.path.includes('CustomResourceProvider')) {
      checkovSkip(c, 'CKV_AWS_115', 'CDK-provided custom resource handler that runs only during deployments; no concurrency to cap.');
    }
  }
}

/**
 * cdk-nag AwsSolutions findings this design accepts, each with its reason, and the checkov
 * suppressions that depend on the stage's settings (the settings-independent ones are in
 * cdk/checkov.yaml). Everything else is fixed in the stack (TLS-only buckets and topics, no
 * managed policies on the function role, TLS 1.2_2021 on CloudFront, versioned originals,
 * reserved concurrency, logs, tracing and WAF where the stage enables them).
 */
export function acknowledgeFindings(stack: ImageServiceStack, s: StageSettings, ctx: NagContext): void {
  const apiStage = stack.api.deploymentStage;
  const off = (setting: string) => `${setting} is false for this stage in config/stages.json, to keep a non-production stage cheap; production stages turn it on.`;

  // --- S3 --------------------------------------------------------------------------------
  if (ctx.logsBucket) {
    ack(ctx.logsBucket, 'S1', 'This is the access-log bucket itself; logging it into itself would loop.');
    checkovSkip(ctx.logsBucket, 'CKV_AWS_18', 'This is the access-log bucket itself; logging it into itself would loop.');
    checkovSkip(ctx.logsBucket, 'CKV_AWS_21', 'Log objects are written once and expire after accessLogs.retentionDays; versions would only keep expired logs.');
  }
  if (!s.accessLogs.s3) {
    ack(stack.bucket, 'S1', off('accessLogs.s3'));
    checkovSkip(stack.bucket, 'CKV_AWS_18', off('accessLogs.s3'));
  }
  if (ctx.results) {
    const cache = 'The results bucket is a cache: every object can be rendered again from its original and expires after resultCache.expireDays, so old versions would keep nothing of value.';
    checkovSkip(ctx.results, 'CKV_AWS_21', cache);
    if (!s.accessLogs.s3) {
      ack(ctx.results, 'S1', off('accessLogs.s3'));
      checkovSkip(ctx.results, 'CKV_AWS_18', off('accessLogs.s3'));
    }
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
    if (ctx.results) {
      const resultsId = stack.getLogicalId(ctx.results.node.defaultChild as s3.CfnBucket);
      ack(policy, `IAM5[Resource::<${resultsId}.Arn>/*]`, 'The result cache reads, writes and deletes objects under keys derived from each request (edge/<hash>/<hash>): the object wildcard of this stage\'s results bucket only.');
    }
    if (s.tracing) {
      ack(policy, 'IAM5[Resource::*]', 'xray:PutTraceSegments and xray:PutTelemetryRecords (added by the CDK for active tracing) support no resource-level permissions.');
    }
  }
  const cwRole = stack.api.node.tryFindChild('CloudWatchRole');
  if (cwRole) {
    ack(cwRole, 'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]', 'AmazonAPIGatewayPushToCloudWatchLogs is the AWS-managed policy API Gateway expects on its account-wide logging role.');
  }

  // --- API Gateway -----------------------------------------------------------------------
  ack(stack.api, 'APIG2', 'Lambda proxy integration for arbitrary image paths: the Lambda validates paths, query parameters and bodies itself.');
  ack(stack.api, 'APIG4', 'Serving images (GET/HEAD) is public by design, or guarded by signed URLs that the Lambda checks (signing.mode). Uploads, deletes and the listing are authorised inside the Lambda (bearer tokens), which also refuses routes disabled for the stage.');
  ack(stack.api, 'COG4', 'No Cognito users exist for this service: reads are public, writes are authorised by the Lambda with bearer tokens.');
  ack(apiStage, 'APIG3', 'The API answers only requests carrying CloudFront\'s origin secret (X-Origin-Verify), so the WAF belongs on the distribution (cloudfront.waf), where every request passes.');
  if (!ctx.apiAccessLogs) {
    ack(apiStage, 'APIG1', off('accessLogs.api'));
    ack(apiStage, 'APIG6', `${off('accessLogs.api')} API Gateway execution logging also needs the account-wide CloudWatch role.`);
    checkovSkip(apiStage, 'CKV_AWS_76', off('accessLogs.api'));
  }
  if (!s.tracing) {
    checkovSkip(apiStage, 'CKV_AWS_73', off('tracing'));
  }

  // --- CloudFront ------------------------------------------------------------------------
  ack(stack.distribution, 'CFR1', 'Images are served worldwide; there is no geographic restriction requirement.');
  if (!s.cloudfront.waf.enabled && !s.cloudfront.webAclArn) {
    const noWaf = 'No WAF web ACL for this stage (cloudfront.waf.enabled is false, no cloudfront.webAclArn): API Gateway throttling and the reserved concurrency limit abuse; production stages turn the WAF on.';
    ack(stack.distribution, 'CFR2', noWaf);
    checkovSkip(stack.distribution, 'CKV_AWS_68', noWaf);
  }
  if (!s.accessLogs.cloudfront) {
    ack(stack.distribution, 'CFR3', off('accessLogs.cloudfront'));
    checkovSkip(stack.distribution, 'CKV_AWS_86', off('accessLogs.cloudfront'));
  }

  skipCdkProviderFunctions(stack);
}
