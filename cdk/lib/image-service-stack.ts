import { Annotations, ArnFormat, CfnOutput, Duration, RemovalPolicy, SecretValue, Stack, StackProps } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { functionTimeoutSeconds, isCompleteSecretArn, LAMBDA_EFFECTIVE_MAX_UPLOAD_BYTES, processingDeadlineMs, Route, StageSettings } from './config';
import { ACCEPT_CLASS_HEADER, attachBucketOrigins, BucketOrigin, createResultsBucket, createViewerFunction, edgeResponsePolicy, edgeSalt, ORIGIN_IDS, renderVersion, saltFiles } from './edge';
import { createServiceFunction, deliveryEnvironment, WATERMARKS_DIR_ON_LAMBDA, watermarkFiles } from './lambda-package';
import { alarmTopic, createDashboard, distribution5xxAlarm, metricsNamespace, serviceAlarms } from './monitoring';
import { acknowledgeFindings } from './nag';
import { createWebAcl } from './waf';

export interface ImageServiceStackProps extends StackProps {
  readonly settings: StageSettings;
  /** Directory with a prebuilt `bootstrap`; unset = built by bin/package during synth. */
  readonly prebuiltDir?: string;
  readonly watermarksDir: string;
  /** ARN of the web ACL created in us-east-1 by the stage's edge WAF stack (stages outside us-east-1 with waf.enabled). */
  readonly edgeWebAclArn?: string;
  /** Files shipped with the Lambda that change output bytes besides the watermarks (a presets file): they enter the edge salt. */
  readonly saltFiles?: string[];
}

/** CloudFront path pattern of the listing behaviour: exactly `/` (no wildcard). */
export const LISTING_PATH_PATTERN = '/';

/**
 * CloudFront path patterns of the console (stage setting `console`): its page and modules, and
 * the key table it reads. Never cached at the edge, whatever the stage's minimum TTL: the page
 * works with a write token, and the table follows the deployment. POST /_/sign goes through the
 * default behaviour, which never caches a POST.
 */
export const CONSOLE_PATH_PATTERNS = ['/_/console*', '/_/params'];

/** Which API Gateway methods each route needs. */
export const ROUTE_METHODS: Record<Route, { resource: '/' | '/{proxy+}'; methods: string[] }> = {
  list: { resource: '/', methods: ['GET'] },
  get: { resource: '/{proxy+}', methods: ['GET', 'HEAD'] },
  upload: { resource: '/{proxy+}', methods: ['POST'] },
  delete: { resource: '/{proxy+}', methods: ['DELETE'] },
};

/** Header CloudFront adds to every origin request; the Lambda answers 403 without a valid value. */
export const ORIGIN_VERIFY_HEADER = 'X-Origin-Verify';

/**
 * The IAM resource matching the stage secret. Secrets Manager appends `-` and 6 random
 * characters to a secret's name in its ARN, so a name or a partial ARN matches with `-??????`;
 * a complete ARN (ending in that suffix) is used as is.
 */
export function secretPolicyResource(stack: Stack, secretsId: string): string {
  if (secretsId.startsWith('arn:')) {
    return isCompleteSecretArn(secretsId) ? secretsId : `${secretsId}-??????`;
  }
  return stack.formatArn({
    service: 'secretsmanager',
    resource: 'secret',
    resourceName: `${secretsId}-??????`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/**
 * The value CloudFront sends as X-Origin-Verify: a CloudFormation dynamic reference to the
 * secret's `originSecret` field, resolved at deploy time (pinned to secretsVersionId when set).
 * The template holds only the reference.
 */
export function originVerifyValue(s: StageSettings): string {
  return SecretValue.secretsManager(s.secretsId, { jsonField: 'originSecret', versionId: s.secretsVersionId }).unsafeUnwrap();
}

function retention(days: number): logs.RetentionDays {
  return days as logs.RetentionDays;
}

/**
 * One stage of the image service: originals in a private S3 bucket, the Rust Lambda behind a
 * REST API, CloudFront with the custom domain in front, and alarms.
 */
export class ImageServiceStack extends Stack {
  public readonly bucket: s3.Bucket;
  /** Rendered results (resultCache.enabled). */
  public readonly results?: s3.Bucket;
  public readonly function: lambda.Function;
  public readonly api: apigw.RestApi;
  public readonly distribution: cloudfront.Distribution;
  public readonly functionLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ImageServiceStackProps) {
    const s = props.settings;
    super(scope, id, {
      description: `image-service (${s.name}): S3 originals, Rust Lambda, API Gateway, CloudFront on ${s.domainName}`,
      ...props,
      env: { account: s.account, region: s.region },
    });

    const removalPolicy = s.bucket.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const routes = new Set<Route>(s.routes);
    const writes = routes.has('upload') || routes.has('delete');

    // ---- Access logs (optional) --------------------------------------------------------
    let logsBucket: s3.Bucket | undefined;
    if (s.accessLogs.cloudfront || s.accessLogs.s3) {
      logsBucket = new s3.Bucket(this, 'AccessLogs', {
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        encryption: s3.BucketEncryption.S3_MANAGED,
        enforceSSL: true,
        // CloudFront standard logging writes with ACLs.
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
        lifecycleRules: [{ expiration: Duration.days(s.accessLogs.retentionDays) }],
        removalPolicy,
        autoDeleteObjects: !s.bucket.retain,
      });
    }

    // ---- Originals bucket --------------------------------------------------------------
    this.bucket = new s3.Bucket(this, 'Originals', {
      bucketName: s.bucket.name,
      blockPublicAccess: s.bucket.publicRead
        ? new s3.BlockPublicAccess({
          blockPublicAcls: true,
          ignorePublicAcls: true,
          blockPublicPolicy: false,
          restrictPublicBuckets: false,
        })
        : s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy,
      autoDeleteObjects: !s.bucket.retain,
      serverAccessLogsBucket: s.accessLogs.s3 ? logsBucket : undefined,
      serverAccessLogsPrefix: s.accessLogs.s3 ? 's3-originals/' : undefined,
      // A deleted or overwritten original stays recoverable as a noncurrent version for
      // bucket.noncurrentVersionDays (see README, "Recover a deleted original").
      versioned: true,
      lifecycleRules: [
        { id: 'noncurrent-versions', noncurrentVersionExpiration: Duration.days(s.bucket.noncurrentVersionDays) },
        { id: 'delete-markers', expiredObjectDeleteMarker: true },
        { id: 'incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
      cors: s.bucket.publicRead && s.corsOrigins.length > 0
        ? [{
          allowedMethods: [s3.HttpMethods.GET, s3.HttpMethods.HEAD],
          allowedOrigins: s.corsOrigins,
          allowedHeaders: ['*'],
          maxAge: 3000,
        }]
        : undefined,
    });
    if (s.bucket.publicRead) {
      // Explicit opt-in: anyone may read originals straight from the S3 REST endpoint (HTTPS).
      this.bucket.addToResourcePolicy(new iam.PolicyStatement({
        sid: 'PublicReadOptIn',
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:GetObject'],
        resources: [this.bucket.arnForObjects('*')],
      }));
    }

    // ---- Results bucket (the Lambda's result cache, read at the edge) -------------------
    const results = this.results = s.resultCache.enabled ? createResultsBucket(this, s, logsBucket) : undefined;

    // ---- Lambda --------------------------------------------------------------------------
    const functionLogs = this.functionLogs = new logs.LogGroup(this, 'FunctionLogs', {
      retention: retention(s.logRetentionDays),
      removalPolicy,
    });

    const role = new iam.Role(this, 'FunctionRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `image-service ${s.name} Lambda: its bucket, its secret and its log group only`,
    });
    const objectActions = ['s3:GetObject'];
    if (routes.has('upload')) objectActions.push('s3:PutObject');
    if (routes.has('delete')) objectActions.push('s3:DeleteObject');
    role.addToPolicy(new iam.PolicyStatement({
      sid: 'OriginalsObjects',
      actions: objectActions,
      resources: [this.bucket.arnForObjects('*')],
    }));
    // ListBucket also turns a missing key into 404 instead of 403.
    role.addToPolicy(new iam.PolicyStatement({
      sid: 'OriginalsList',
      actions: ['s3:ListBucket'],
      resources: [this.bucket.bucketArn],
    }));
    if (results) {
      role.addToPolicy(new iam.PolicyStatement({
        sid: 'ResultsObjects',
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        resources: [results.arnForObjects('*')],
      }));
      role.addToPolicy(new iam.PolicyStatement({ sid: 'ResultsList', actions: ['s3:ListBucket'], resources: [results.bucketArn] }));
    }
    functionLogs.grantWrite(role);
    // The Lambda reads the stage secret itself (one GetSecretValue at init, again after the TTL).
    role.addToPolicy(new iam.PolicyStatement({
      sid: 'StageSecret',
      actions: ['secretsmanager:GetSecretValue'],
      resources: [secretPolicyResource(this, s.secretsId)],
    }));

    const environment: Record<string, string> = {
      IMAGE_SERVICE_STAGE: s.name,
      IMAGE_SERVICE_STORE: `s3://${this.bucket.bucketName}`,
      IMAGE_SERVICE_PUBLIC_URL: `https://${s.domainName}`,
      IMAGE_SERVICE_CACHE_MAX_AGE: String(s.cache.browserMaxAgeSeconds),
      IMAGE_SERVICE_MAX_UPLOAD_BYTES: String(s.limits.maxUploadBytes),
      IMAGE_SERVICE_MAX_INPUT_PIXELS: String(s.limits.maxInputPixels),
      IMAGE_SERVICE_MAX_INPUT_BYTES: String(s.limits.maxInputBytes),
      IMAGE_SERVICE_MAX_INPUT_FRAMES: String(s.limits.maxInputFrames),
      IMAGE_SERVICE_MAX_OUTPUT_BYTES: String(s.limits.maxOutputBytes),
      IMAGE_SERVICE_MAX_OUTPUT_DIMENSION: String(s.limits.maxOutputDimension),
      IMAGE_SERVICE_MAX_OPERATIONS: String(s.limits.maxOperations),
      IMAGE_SERVICE_DEADLINE_MS: String(processingDeadlineMs(s.lambda.timeoutSeconds)),
      IMAGE_SERVICE_ROUTES: s.routes.join(','),
      IMAGE_SERVICE_CORS_ORIGINS: s.corsOrigins.join(','),
      IMAGE_SERVICE_SIGNING: s.signing.mode,
      IMAGE_SERVICE_SIGN_ORIGINALS: String(s.signing.originals),
      IMAGE_SERVICE_LIST_REQUIRES_TOKEN: String(s.listRequiresToken),
      IMAGE_SERVICE_WATERMARKS_DIR: WATERMARKS_DIR_ON_LAMBDA,
      // Tokens, signing keys and the origin secret are read from Secrets Manager at run time
      // (never resolved into this configuration); a rotated secret applies within the TTL.
      IMAGE_SERVICE_SECRETS_ID: s.secretsId,
      IMAGE_SERVICE_SECRETS_TTL_SECONDS: String(s.secretsTtlSeconds),
      IMAGE_SERVICE_REQUIRE_ORIGIN_SECRET: 'true',
      IMAGE_SERVICE_METRICS_NAMESPACE: metricsNamespace(s.name),
      AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH: 'true',
      RUST_LOG: s.lambda.rustLog,
      ...deliveryEnvironment(s),
    };
    // The edge salt covers everything above that changes output bytes (plus the shipped files),
    // so the function and the Lambda derive the same edge keys, and any change gives new ones.
    const salt = edgeSalt(renderVersion(), environment, saltFiles(props.watermarksDir, props.saltFiles));
    environment.IMAGE_SERVICE_EDGE_SALT = salt;
    environment.IMAGE_SERVICE_RESULT_CACHE = results ? `s3://${results.bucketName}` : 'off';
    // After the salt: switching the console on or off changes no image bytes, so no edge keys.
    environment.IMAGE_SERVICE_CONSOLE = s.console ? 'on' : 'off';

    this.function = createServiceFunction(this, 'Function', {
      prebuiltDir: props.prebuiltDir,
      watermarksDir: props.watermarksDir,
      presetsFile: s.presetsFile,
      description: `image-service ${s.name}: serves, transforms, uploads and deletes images`,
      memorySize: s.lambda.memoryMb,
      // Processing, then streaming the body: past 6 MB Lambda streams at most 2 MB/s.
      timeout: Duration.seconds(functionTimeoutSeconds(s.lambda.timeoutSeconds, s.limits.maxOutputBytes)),
      reservedConcurrentExecutions: s.lambda.reservedConcurrency,
      tracing: s.tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
      role,
      logGroup: functionLogs,
      environment,
    });

    if (s.limits.maxUploadBytes > LAMBDA_EFFECTIVE_MAX_UPLOAD_BYTES) {
      Annotations.of(this.function).addWarningV2('image-service:upload-limit',
        `limits.maxUploadBytes=${s.limits.maxUploadBytes}: API Gateway base64-encodes uploads and Lambda accepts at most 6 MB, `
        + `so bodies over ~${LAMBDA_EFFECTIVE_MAX_UPLOAD_BYTES} bytes fail before reaching the function.`);
    }
    if (watermarkFiles(props.watermarksDir).length === 0) {
      Annotations.of(this.function).addWarningV2('image-service:no-watermarks',
        `No watermark files in ${props.watermarksDir}: the package ships an empty assets/watermarks.`);
    }

    // ---- API Gateway ---------------------------------------------------------------------
    const apiAccessLogs = s.accessLogs.api
      ? new logs.LogGroup(this, 'ApiAccessLogs', { retention: retention(s.accessLogs.retentionDays), removalPolicy })
      : undefined;
    this.api = new apigw.RestApi(this, 'Api', {
      restApiName: `image-service-${s.name}`,
      description: `image-service ${s.name}`,
      binaryMediaTypes: ['*/*'],
      endpointConfiguration: { types: [apigw.EndpointType.REGIONAL] },
      // The account-wide role API Gateway needs to write logs; kept when the stack goes.
      ...(s.accessLogs.api && s.accessLogs.createApiGatewayCloudWatchRole
        ? { cloudWatchRole: true, cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN }
        : { cloudWatchRole: false }),
      deployOptions: {
        stageName: s.name,
        throttlingRateLimit: s.api.throttlingRateLimit,
        throttlingBurstLimit: s.api.throttlingBurstLimit,
        loggingLevel: s.accessLogs.api ? apigw.MethodLoggingLevel.ERROR : apigw.MethodLoggingLevel.OFF,
        tracingEnabled: s.tracing,
        accessLogDestination: apiAccessLogs ? new apigw.LogGroupLogDestination(apiAccessLogs) : undefined,
        accessLogFormat: apiAccessLogs ? apigw.AccessLogFormat.jsonWithStandardFields() : undefined,
      },
    });
    // Every response is streamed (InvokeWithResponseStream: the `response-streaming-invocations`
    // URI): the function writes a JSON prelude, 8 NUL bytes and the raw body, so bodies up to
    // Lambda's 200 MB streaming limit pass and binary bodies need no base64. In STREAM mode the
    // integration may run up to 15 minutes; it waits as long as the function may run.
    const integration = new apigw.LambdaIntegration(this.function, {
      proxy: true,
      allowTestInvoke: false,
      responseTransferMode: apigw.ResponseTransferMode.STREAM,
      timeout: Duration.seconds(functionTimeoutSeconds(s.lambda.timeoutSeconds, s.limits.maxOutputBytes)),
    });
    let proxy: apigw.Resource | undefined;
    for (const route of s.routes) {
      const { resource, methods } = ROUTE_METHODS[route];
      const target = resource === '/' ? this.api.root : (proxy ??= this.api.root.addResource('{proxy+}'));
      for (const method of methods) target.addMethod(method, integration);
    }
    // Browser preflights, answered by API Gateway itself: Access-Control-Allow-Origin only ever
    // names one of the stage's origins (or is * when the stage allows any origin). For uploads and deletes on /{proxy+}, and for the
    // listing on / when it needs a token (Authorization makes the request non-simple).
    const addPreflight = (target: apigw.IResource, resource: '/' | '/{proxy+}') => {
      const preflight = target.addCorsPreflight({
        allowOrigins: s.corsOrigins,
        allowMethods: s.routes.flatMap((r) => ROUTE_METHODS[r].resource === resource ? ROUTE_METHODS[r].methods : []),
        allowHeaders: ['Content-Type', 'Authorization'],
        maxAge: Duration.hours(1),
      });
      // With binaryMediaTypes */* API Gateway treats the preflight as binary and its mock
      // integration fails with 500 ("Unable to transform request") unless told to use text.
      const cfnPreflight = preflight.node.defaultChild as apigw.CfnMethod;
      cfnPreflight.addPropertyOverride('Integration.ContentHandling', 'CONVERT_TO_TEXT');
      cfnPreflight.addPropertyOverride('Integration.IntegrationResponses.0.ContentHandling', 'CONVERT_TO_TEXT');
    };
    if (proxy && writes && s.corsOrigins.length > 0) addPreflight(proxy, '/{proxy+}');
    const listingPreflight = routes.has('list') && s.listRequiresToken && s.corsOrigins.length > 0;
    if (listingPreflight) addPreflight(this.api.root, '/');

    // ---- CloudFront ----------------------------------------------------------------------
    // The cache key holds every query string, so each transformation (and each signature:
    // s, exp, kid) is its own cache entry. Headers in it:
    // - Origin, with a list of CORS origins: the Lambda answers CORS itself, per origin (with
    //   Vary: Origin, which CloudFront does not act on), so a response cached for one origin must
    //   not be served to another. With "*" every response carries the same
    //   Access-Control-Allow-Origin: *, so Origin stays out of the key.
    // - Authorization, with writes: a header in the cache key is the one way CloudFront forwards
    //   Authorization on a cached behaviour (an origin request policy cannot list it). POST and
    //   DELETE are never cached, so for them this only forwards the header; on GET and HEAD a
    //   viewer-request function removes it first, so cached reads never vary on it (and never
    //   pass a token to the Lambda).
    // - x-image-accept: the viewer function's Accept class (avif, webp or other), so answers
    //   that depend on Accept are cached once per class, never per browser Accept string.
    const perOriginCors = s.corsOrigins.length > 0 && !s.corsOrigins.includes('*');
    const cacheKeyHeaders = [...(writes ? ['Authorization'] : []), ...(perOriginCors ? ['Origin'] : []), ACCEPT_CLASS_HEADER];
    const cachePolicy = new cloudfront.CachePolicy(this, 'ImageCachePolicy', {
      comment: `image-service ${s.name}: every query string variant cached separately`
        + (perOriginCors ? '; per CORS origin' : '')
        + (writes ? '; Authorization only reaches writes' : ''),
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.all(),
      headerBehavior: cloudfront.CacheHeaderBehavior.allowList(...cacheKeyHeaders),
      cookieBehavior: cloudfront.CacheCookieBehavior.none(),
      defaultTtl: Duration.seconds(s.cache.defaultTtlSeconds),
      minTtl: Duration.seconds(s.cache.minTtlSeconds),
      maxTtl: Duration.seconds(s.cache.maxTtlSeconds),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });
    // The viewer-request function (Accept class, no Authorization on reads, the origin per
    // request: see lib/edge.ts) and, for signed URLs at the edge, its KeyValueStore.
    const edge = s.edge.serveFromS3;
    const viewer = createViewerFunction(this, s, { writes, results: results !== undefined, salt, environment });
    // Every origin request carries the origin secret; the Lambda refuses requests without it,
    // so the execute-api URL is of no use to anyone but CloudFront. A custom origin header
    // replaces a viewer header of the same name.
    const origin = new origins.RestApiOrigin(this.api, {
      originId: ORIGIN_IDS.api,
      customHeaders: { [ORIGIN_VERIFY_HEADER]: originVerifyValue(s) },
      originShieldRegion: s.cloudfront.originShieldRegion,
    });
    // WAF: the stage's own web ACL (created here when the stage is in us-east-1, else in the
    // edge WAF stack), or an existing one named in the settings.
    const webAclArn = s.cloudfront.waf.enabled
      ? (props.edgeWebAclArn ?? createWebAcl(this, s).attrArn)
      : s.cloudfront.webAclArn;
    // The listing (exact path /) is never cached at the edge: with a token it is private, and
    // without one it changes with every upload. Caching off is also what lets the all-viewer
    // origin request policy pass Authorization through (CloudFront forwards it that way only on
    // behaviours that do not cache).
    const additionalBehaviors: Record<string, cloudfront.BehaviorOptions> = {};
    if (routes.has('list')) {
      additionalBehaviors[LISTING_PATH_PATTERN] = {
        origin,
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: listingPreflight ? cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS : cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
        originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        // Edge compression needs a caching policy; the Lambda's own encoding passes through.
        compress: false,
      };
    }
    if (s.console) {
      for (const pattern of CONSOLE_PATH_PATTERNS) {
        additionalBehaviors[pattern] = {
          origin,
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
          compress: false,
        };
      }
    }
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `image-service ${s.name}`,
      domainNames: [s.domainName],
      certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', s.certificateArn),
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      sslSupportMethod: cloudfront.SSLMethod.SNI,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: s.cloudfront.priceClass as cloudfront.PriceClass,
      webAclId: webAclArn,
      enableLogging: s.accessLogs.cloudfront,
      logBucket: s.accessLogs.cloudfront ? logsBucket : undefined,
      logFilePrefix: s.accessLogs.cloudfront ? 'cloudfront/' : undefined,
      publishAdditionalMetrics: s.cloudfront.additionalMetrics,
      defaultBehavior: {
        origin,
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: writes ? cloudfront.AllowedMethods.ALLOW_ALL : cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachedMethods: cloudfront.CachedMethods.CACHE_GET_HEAD,
        cachePolicy,
        originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        compress: true,
        functionAssociations: [{ eventType: cloudfront.FunctionEventType.VIEWER_REQUEST, function: viewer.fn }],
        responseHeadersPolicy: edge
          ? edgeResponsePolicy(this, s, s.routes.flatMap((r) => (ROUTE_METHODS[r].resource === '/{proxy+}' ? ROUTE_METHODS[r].methods : [])))
          : undefined,
      },
      additionalBehaviors,
    });
    if (edge) {
      // The bucket origins have no behaviour: only the viewer function routes to them.
      const buckets: BucketOrigin[] = [];
      if (viewer.config.originals) buckets.push({ id: ORIGIN_IDS.originals, bucket: this.bucket });
      if (results) buckets.push({ id: ORIGIN_IDS.results, bucket: results });
      if (buckets.length > 0) attachBucketOrigins(this.distribution, buckets, s.cloudfront.originShieldRegion);
    }

    // ---- Alarms and dashboard ------------------------------------------------------------
    const topic = alarmTopic(this, s, s.alarms.snsTopicArn, `image-service-${s.name}-alarms`);
    const alarms = serviceAlarms(this, { settings: s, fn: this.function, topic });
    if (s.region === 'us-east-1') {
      alarms.push(distribution5xxAlarm(this, s, this.distribution.distributionId, topic));
    }
    createDashboard(this, {
      settings: s,
      fn: this.function,
      api: this.api,
      distributionId: this.distribution.distributionId,
      functionLogs,
      alarms,
    });

    // ---- Outputs -------------------------------------------------------------------------
    new CfnOutput(this, 'DistributionDomainName', {
      description: `CNAME target: point ${s.domainName} at this`,
      value: this.distribution.distributionDomainName,
    });
    new CfnOutput(this, 'DistributionId', { value: this.distribution.distributionId });
    new CfnOutput(this, 'ApiUrl', { description: 'API Gateway stage URL (origin of the distribution)', value: this.api.url });
    new CfnOutput(this, 'BucketName', { description: 'Bucket holding the originals', value: this.bucket.bucketName });
    new CfnOutput(this, 'ServiceUrl', { value: `https://${s.domainName}/` });
    if (results) new CfnOutput(this, 'ResultsBucketName', { description: 'Bucket holding rendered results (expire after resultCache.expireDays)', value: results.bucketName });
    if (viewer.signingKeys) {
      new CfnOutput(this, 'SigningKeysStoreArn', { description: 'KeyValueStore of the edge signing keys (bin/deploy fills it from the stage secret)', value: viewer.signingKeys.keyValueStoreArn });
    }
    if (!s.alarms.snsTopicArn) {
      new CfnOutput(this, 'AlarmTopicArn', { description: 'Subscribe to this topic for the stage alarms', value: topic.topicArn });
    }

    acknowledgeFindings(this, s, { logsBucket, apiAccessLogs, results });
  }
}

export interface EdgeAlarmsStackProps extends StackProps {
  readonly settings: StageSettings;
  readonly distributionId: string;
}

/**
 * CloudFront publishes its metrics in us-east-1 only, and an alarm must live in its metric's
 * region: stages in another region get this small companion stack there.
 */
export class EdgeAlarmsStack extends Stack {
  constructor(scope: Construct, id: string, props: EdgeAlarmsStackProps) {
    const s = props.settings;
    super(scope, id, {
      description: `image-service (${s.name}): CloudFront alarms (CloudFront metrics live in us-east-1)`,
      ...props,
      env: { account: s.account, region: 'us-east-1' },
      crossRegionReferences: true,
    });
    const topic = alarmTopic(this, s, s.alarms.edgeSnsTopicArn, `image-service-${s.name}-edge-alarms`);
    distribution5xxAlarm(this, s, props.distributionId, topic);
    if (!s.alarms.edgeSnsTopicArn) {
      new CfnOutput(this, 'AlarmTopicArn', { description: 'Subscribe to this topic for the CloudFront alarm', value: topic.topicArn });
    }
  }
}
