import * as fs from 'node:fs';
import * as path from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { functionTimeoutSeconds, LAMBDA_MAX_OUTPUT_BYTES, loadStage, Route, StageSettings } from '../lib/config';
import { LISTING_PATH_PATTERN, ROUTE_METHODS } from '../lib/image-service-stack';
import { dashboardName, EMF_PHASES, metricsNamespace } from '../lib/monitoring';
import { BODY_RULES, webAclName } from '../lib/waf';
import { checkedInStages, only, resourcesOf, serviceFunction, synth, Synthesized } from './helpers';
import { loadHandler, viewerEvent } from './viewer-function';

// AWS managed origin request policy "AllViewerExceptHostHeader".
const ALL_VIEWER_EXCEPT_HOST_HEADER = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';
// AWS managed cache policy "CachingDisabled".
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';

const stageNames = Object.keys(checkedInStages());

test('the settings file provides dev, staging and prod', () => {
  expect(stageNames).toEqual(expect.arrayContaining(['dev', 'staging', 'prod']));
});

describe.each(stageNames)('stage %s', (stage) => {
  let s: StageSettings;
  let out: Synthesized;

  beforeAll(() => {
    s = loadStage(stage);
    out = synth(stage);
  });

  const logicalId = (type: string) => only(out.template, type)[0];
  // The originals bucket is the versioned one (the log and results buckets are not).
  const bucketId = () => out.template.getResourceId('AWS::S3::Bucket', {
    Properties: Match.objectLike({ BucketEncryption: Match.anyValue(), VersioningConfiguration: { Status: 'Enabled' } }),
  });
  const resultsId = () => out.template.getResourceId('AWS::S3::Bucket', {
    Properties: Match.objectLike({ LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Id: 'expire-results' })]) } }),
  });

  test('cdk-nag AwsSolutions: no open finding, every acknowledgement has a reason', () => {
    const report = out.validationReport;
    expect(report).toBeDefined();
    const nag = report.pluginReports.find((p: any) => p.pluginName === 'AwsSolutions');
    expect(nag.conclusion).toBe('success');
    expect(nag.violations).toEqual([]);
    for (const v of nag.suppressedViolations) {
      expect(typeof v.reason).toBe('string');
      expect(v.reason.length).toBeGreaterThan(30);
    }
  });

  test('originals bucket: private, S3-managed encryption, TLS-only, no website, no CORS', () => {
    const [, bucket] = resourcesOf(out.template, 'AWS::S3::Bucket').find(([id]) => id === bucketId())!;
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true,
    });
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
    expect(bucket.Properties.WebsiteConfiguration).toBeUndefined();
    expect(bucket.Properties.CorsConfiguration).toBeUndefined();

    const policies = resourcesOf(out.template, 'AWS::S3::BucketPolicy').filter(([, p]) => p.Properties.Bucket.Ref === bucketId());
    expect(policies).toHaveLength(1);
    const statements: any[] = policies[0][1].Properties.PolicyDocument.Statement;
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
    ]));
    // Nothing is granted to the world.
    expect(statements.filter((st) => st.Effect === 'Allow' && JSON.stringify(st.Principal).includes('"*"'))).toEqual([]);
  });

  test('originals bucket: versioned, noncurrent versions and expired delete markers cleaned up', () => {
    const [, bucket] = resourcesOf(out.template, 'AWS::S3::Bucket').find(([id]) => id === bucketId())!;
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    const rules: any[] = bucket.Properties.LifecycleConfiguration.Rules;
    expect(rules).toEqual(expect.arrayContaining([
      expect.objectContaining({ Status: 'Enabled', NoncurrentVersionExpiration: { NoncurrentDays: s.bucket.noncurrentVersionDays } }),
      expect.objectContaining({ Status: 'Enabled', ExpiredObjectDeleteMarker: true }),
      expect.objectContaining({ Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }),
    ]));
    // Nothing expires current versions: only replaced or deleted originals age out.
    expect(rules.filter((r) => r.ExpirationInDays !== undefined)).toEqual([]);
  });

  test('access logs as configured: API stage, CloudFront, S3 server access logs', () => {
    const [, stageRes] = only(out.template, 'AWS::ApiGateway::Stage');
    const [, bucket] = resourcesOf(out.template, 'AWS::S3::Bucket').find(([id]) => id === bucketId())!;
    const [, dist] = only(out.template, 'AWS::CloudFront::Distribution');
    if (s.accessLogs.api) {
      expect(stageRes.Properties.AccessLogSetting.DestinationArn).toBeDefined();
      expect(stageRes.Properties.MethodSettings[0].LoggingLevel).toBe('ERROR');
    } else {
      expect(stageRes.Properties.AccessLogSetting).toBeUndefined();
    }
    expect(bucket.Properties.LoggingConfiguration !== undefined).toBe(s.accessLogs.s3);
    expect(dist.Properties.DistributionConfig.Logging !== undefined).toBe(s.accessLogs.cloudfront);
    const logBuckets = resourcesOf(out.template, 'AWS::S3::Bucket').filter(([id]) => id !== bucketId() && (!s.resultCache.enabled || id !== resultsId()));
    expect(logBuckets).toHaveLength(s.accessLogs.s3 || s.accessLogs.cloudfront ? 1 : 0);
  });

  test('X-Ray tracing on the Lambda and the API stage as configured', () => {
    const [, fn] = serviceFunction(out.template);
    const [, stageRes] = only(out.template, 'AWS::ApiGateway::Stage');
    expect(fn.Properties.TracingConfig).toEqual(s.tracing ? { Mode: 'Active' } : undefined);
    expect(stageRes.Properties.TracingEnabled).toBe(s.tracing);
  });

  test('bucket lifecycle: retained or emptied on destroy as configured', () => {
    const [, bucket] = resourcesOf(out.template, 'AWS::S3::Bucket').find(([id]) => id === bucketId())!;
    // The results bucket is a cache and always goes with the stack (edge.test.ts).
    const autoDelete = resourcesOf(out.template, 'Custom::S3AutoDeleteObjects').filter(([, r]) => r.Properties.BucketName.Ref === bucketId());
    if (s.bucket.retain) {
      expect(bucket.DeletionPolicy).toBe('Retain');
      expect(autoDelete).toHaveLength(0);
    } else {
      expect(bucket.DeletionPolicy).toBe('Delete');
      expect(autoDelete.some(([, r]) => r.Properties.BucketName.Ref === bucketId())).toBe(true);
    }
  });

  test('REST API: binary media types */*, regional endpoint, stage throttling', () => {
    out.template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      BinaryMediaTypes: ['*/*'],
      EndpointConfiguration: { Types: ['REGIONAL'] },
    });
    out.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: stage,
      MethodSettings: Match.arrayWith([Match.objectLike({
        ThrottlingRateLimit: s.api.throttlingRateLimit,
        ThrottlingBurstLimit: s.api.throttlingBurstLimit,
      })]),
    });
  });

  test('methods: exactly the enabled routes, each a Lambda proxy integration', () => {
    const proxyId = resourcesOf(out.template, 'AWS::ApiGateway::Resource')
      .find(([, r]) => r.Properties.PathPart === '{proxy+}')?.[0];
    const fnId = serviceFunction(out.template)[0];
    const methods = resourcesOf(out.template, 'AWS::ApiGateway::Method');
    const seen = methods
      .filter(([, m]) => m.Properties.HttpMethod !== 'OPTIONS')
      .map(([, m]) => {
        const p = m.Properties;
        expect(p.Integration.Type).toBe('AWS_PROXY');
        expect(p.Integration.IntegrationHttpMethod).toBe('POST');
        expect(JSON.stringify(p.Integration.Uri)).toContain(fnId);
        const where = p.ResourceId.Ref === proxyId ? '/{proxy+}' : p.ResourceId['Fn::GetAtt']?.[1] === 'RootResourceId' ? '/' : '?';
        return `${p.HttpMethod} ${where}`;
      })
      .sort();
    const expected = s.routes
      .flatMap((r: Route) => ROUTE_METHODS[r].methods.map((m) => `${m} ${ROUTE_METHODS[r].resource}`))
      .sort();
    expect(seen).toEqual(expected);
    for (const disabled of (['list', 'get', 'upload', 'delete'] as Route[]).filter((r) => !s.routes.includes(r))) {
      for (const m of ROUTE_METHODS[disabled].methods) {
        expect(seen).not.toContain(`${m} ${ROUTE_METHODS[disabled].resource}`);
      }
    }
  });

  test('every Lambda method streams: transfer mode STREAM, the response-streaming URI, the function\'s timeout', () => {
    const [fnId, fn] = serviceFunction(out.template);
    const timeout = functionTimeoutSeconds(s.lambda.timeoutSeconds, s.limits.maxOutputBytes);
    const methods = resourcesOf(out.template, 'AWS::ApiGateway::Method').filter(([, m]) => m.Properties.HttpMethod !== 'OPTIONS');
    expect(methods.length).toBeGreaterThan(0);
    for (const [, m] of methods) {
      const i = m.Properties.Integration;
      expect(i.ResponseTransferMode).toBe('STREAM');
      // InvokeWithResponseStream: API version 2021-11-15, action response-streaming-invocations.
      expect(i.Uri).toEqual({ 'Fn::Join': ['', [
        `arn:aws:apigateway:${s.region}:lambda:path/2021-11-15/functions/`,
        { 'Fn::GetAtt': [fnId, 'Arn'] },
        '/response-streaming-invocations',
      ]] });
      expect(i.TimeoutInMillis).toBe(timeout * 1000);
    }
    // The function runs while it streams: processing plus the capped-rate transfer of the largest body.
    expect(fn.Properties.Timeout).toBe(timeout);
    expect(timeout).toBeLessThanOrEqual(900); // API Gateway's streaming limit: 15 minutes
    // InvokeWithResponseStream needs lambda:InvokeFunction, what the API's permissions grant.
    const grants = resourcesOf(out.template, 'AWS::Lambda::Permission')
      .filter(([, p]) => p.Properties.Principal === 'apigateway.amazonaws.com');
    expect(grants.length).toBeGreaterThan(0);
    for (const [, g] of grants) expect(g.Properties.Action).toBe('lambda:InvokeFunction');
  });

  test('CORS preflights (on /{proxy+} for writes, on / for a token-guarded listing) answer only the stage origins', () => {
    const proxyId = resourcesOf(out.template, 'AWS::ApiGateway::Resource')
      .find(([, r]) => r.Properties.PathPart === '{proxy+}')?.[0];
    const options = resourcesOf(out.template, 'AWS::ApiGateway::Method').filter(([, m]) => m.Properties.HttpMethod === 'OPTIONS');
    const on = (where: '/' | '/{proxy+}') => options.filter(([, m]) => (where === '/{proxy+}'
      ? m.Properties.ResourceId.Ref === proxyId
      : m.Properties.ResourceId['Fn::GetAtt']?.[1] === 'RootResourceId'));
    const cors = s.corsOrigins.length > 0;
    const writes = s.routes.includes('upload') || s.routes.includes('delete');
    const listing = s.routes.includes('list') && s.listRequiresToken;
    const expected: [('/' | '/{proxy+}'), string[]][] = [];
    if (cors && writes) expected.push(['/{proxy+}', s.routes.filter((r) => r === 'upload' || r === 'delete').flatMap((r) => ROUTE_METHODS[r].methods)]);
    if (cors && listing) expected.push(['/', ['GET']]);
    expect(options).toHaveLength(expected.length);
    for (const [where, methods] of expected) {
      const found = on(where);
      expect(found).toHaveLength(1);
      const integration = found[0][1].Properties.Integration;
      expect(integration.Type).toBe('MOCK');
      expect(integration.ContentHandling).toBe('CONVERT_TO_TEXT');
      const response = integration.IntegrationResponses[0];
      const headers = response.ResponseParameters;
      expect(headers['method.response.header.Access-Control-Allow-Origin']).toBe(`'${s.corsOrigins[0]}'`);
      expect(headers['method.response.header.Access-Control-Allow-Origin']).not.toContain('*');
      expect(headers['method.response.header.Vary']).toBe("'Origin'");
      expect(headers['method.response.header.Access-Control-Allow-Headers']).toContain('Authorization');
      const allowed = headers['method.response.header.Access-Control-Allow-Methods'];
      for (const m of methods) expect(allowed).toContain(m);
      if (where === '/') expect(allowed).not.toMatch(/POST|DELETE/);
      const template: string = response.ResponseTemplates?.['application/json'] ?? '';
      for (const origin of s.corsOrigins.slice(1)) expect(template).toContain(`$origin == "${origin}"`);
      // No origin outside the settings is ever echoed.
      const echoed = [...template.matchAll(/\$origin == "([^"]+)"/g)].map((m) => m[1]);
      expect(echoed.every((o) => s.corsOrigins.includes(o))).toBe(true);
    }
  });

  test('CloudFront: alias, imported us-east-1 certificate, TLSv1.2_2021, HTTPS redirect, no Host forwarding', () => {
    out.template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Aliases: [s.domainName],
        ViewerCertificate: {
          AcmCertificateArn: s.certificateArn,
          MinimumProtocolVersion: 'TLSv1.2_2021',
          SslSupportMethod: 'sni-only',
        },
        PriceClass: s.cloudfront.priceClass,
        DefaultCacheBehavior: Match.objectLike({
          ViewerProtocolPolicy: 'redirect-to-https',
          Compress: true,
          OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_HEADER,
          CachePolicyId: { Ref: logicalId('AWS::CloudFront::CachePolicy') },
          CachedMethods: ['GET', 'HEAD'],
        }),
        Origins: Match.arrayWith([Match.objectLike({ Id: 'api', CustomOriginConfig: Match.objectLike({ OriginProtocolPolicy: 'https-only' }) })]),
      }),
    });
    // The behaviours' origin is this stack's API (the bucket origins have none: edge.test.ts).
    const [, dist] = only(out.template, 'AWS::CloudFront::Distribution');
    expect(dist.Properties.DistributionConfig.Origins[0].Id).toBe('api');
    expect(dist.Properties.DistributionConfig.DefaultCacheBehavior.TargetOriginId).toBe('api');
    expect(JSON.stringify(dist.Properties.DistributionConfig.Origins[0].DomainName)).toContain(logicalId('AWS::ApiGateway::RestApi'));
  });

  test('CloudFront: POST/DELETE pass through (never cached) when writes are enabled', () => {
    const [, dist] = only(out.template, 'AWS::CloudFront::Distribution');
    const behavior = dist.Properties.DistributionConfig.DefaultCacheBehavior;
    if (s.routes.includes('upload')) expect(behavior.AllowedMethods).toContain('POST');
    if (s.routes.includes('delete')) expect(behavior.AllowedMethods).toContain('DELETE');
    expect(behavior.CachedMethods).not.toContain('POST');
    expect(behavior.CachedMethods).not.toContain('DELETE');
  });

  test('cache policy: keyed on every query string (signatures included), TTLs from settings, compression', () => {
    const writes = s.routes.includes('upload') || s.routes.includes('delete');
    const perOrigin = s.corsOrigins.length > 0 && !s.corsOrigins.includes('*');
    const headers = [...(writes ? ['Authorization'] : []), ...(perOrigin ? ['Origin'] : []), 'x-image-accept'];
    out.template.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: Match.objectLike({
        DefaultTTL: s.cache.defaultTtlSeconds,
        MinTTL: s.cache.minTtlSeconds,
        MaxTTL: s.cache.maxTtlSeconds,
        ParametersInCacheKeyAndForwardedToOrigin: {
          QueryStringsConfig: { QueryStringBehavior: 'all' },
          // Authorization is named only so that it reaches the Lambda on POST/DELETE (reads lose
          // it at the edge); Origin because the Lambda's CORS answer depends on it.
          // x-image-accept: the viewer function's Accept class, the only header added for issue 17.
          HeadersConfig: { HeaderBehavior: 'whitelist', Headers: headers },
          CookiesConfig: { CookieBehavior: 'none' },
          EnableAcceptEncodingGzip: true,
          EnableAcceptEncodingBrotli: true,
        },
      }),
    });
  });

  test('CloudFront write behaviour: Authorization reaches POST/DELETE, GET/HEAD never carry it', async () => {
    const writes = s.routes.includes('upload') || s.routes.includes('delete');
    expect(writes).toBe(true); // every checked-in stage enables writes
    const [, dist] = only(out.template, 'AWS::CloudFront::Distribution');
    const behavior = dist.Properties.DistributionConfig.DefaultCacheBehavior;
    // The header is in the cache key of the behaviour that takes POST and DELETE: forwarded.
    const [, policy] = only(out.template, 'AWS::CloudFront::CachePolicy');
    expect(behavior.CachePolicyId).toEqual({ Ref: logicalId('AWS::CloudFront::CachePolicy') });
    expect(policy.Properties.CachePolicyConfig.ParametersInCacheKeyAndForwardedToOrigin.HeadersConfig.Headers).toContain('Authorization');
    // A viewer-request function removes it from reads before the cache lookup.
    const [fnId, fn] = only(out.template, 'AWS::CloudFront::Function');
    expect(behavior.FunctionAssociations).toEqual([{ EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [fnId, 'FunctionARN'] } }]);
    expect(fn.Properties.FunctionConfig.Runtime).toBe('cloudfront-js-2.0');
    expect(fn.Properties.AutoPublish).toBe(true);
    expect(JSON.parse(/^const CONFIG = (.*);$/m.exec(fn.Properties.FunctionCode)![1]).writes).toBe(true);
    const headers = { authorization: 'Bearer t1', accept: 'image/avif' };
    for (const method of ['GET', 'HEAD', 'POST', 'DELETE']) {
      const request = await loadHandler(fn.Properties.FunctionCode).handler(viewerEvent(method, '/a.jpg', undefined, headers));
      const kept = method === 'POST' || method === 'DELETE';
      expect([method, request.headers.authorization]).toEqual([method, kept ? { value: 'Bearer t1' } : undefined]);
      expect(request.headers.accept).toEqual({ value: 'image/avif' });
    }
  });

  test('CloudFront listing: exact path / is never cached and gets every viewer header', () => {
    const [, dist] = only(out.template, 'AWS::CloudFront::Distribution');
    const behaviors: any[] = dist.Properties.DistributionConfig.CacheBehaviors ?? [];
    if (!s.routes.includes('list')) {
      expect(behaviors).toEqual([]);
      return;
    }
    expect(behaviors).toHaveLength(1);
    const preflight = s.listRequiresToken && s.corsOrigins.length > 0;
    expect(behaviors[0]).toMatchObject({
      PathPattern: LISTING_PATH_PATTERN,
      AllowedMethods: preflight ? ['GET', 'HEAD', 'OPTIONS'] : ['GET', 'HEAD'],
      CachePolicyId: CACHING_DISABLED,
      OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_HEADER,
      TargetOriginId: dist.Properties.DistributionConfig.DefaultCacheBehavior.TargetOriginId,
      ViewerProtocolPolicy: 'redirect-to-https',
    });
    expect(LISTING_PATH_PATTERN).toBe('/');
    expect(behaviors[0].FunctionAssociations).toBeUndefined();
  });

  test('Lambda: arm64, provided.al2023, memory, timeout, log retention', () => {
    out.template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'bootstrap',
      Architectures: ['arm64'],
      Runtime: 'provided.al2023',
      MemorySize: s.lambda.memoryMb,
      Timeout: functionTimeoutSeconds(s.lambda.timeoutSeconds, s.limits.maxOutputBytes),
      LoggingConfig: { LogGroup: { Ref: Match.anyValue() } },
      ReservedConcurrentExecutions: s.lambda.reservedConcurrency,
    });
    expect(s.lambda.reservedConcurrency).toBeGreaterThan(0);
    const [, fn] = serviceFunction(out.template);
    const groupId = fn.Properties.LoggingConfig.LogGroup.Ref;
    expect(out.template.toJSON().Resources[groupId].Properties.RetentionInDays).toBe(s.logRetentionDays);
  });

  test('Lambda environment carries store, public URL, limits, routes, CORS origins and stage', () => {
    const [, fn] = serviceFunction(out.template);
    const env = fn.Properties.Environment.Variables;
    expect(env.IMAGE_SERVICE_STORE).toEqual({ 'Fn::Join': ['', ['s3://', { Ref: bucketId() }]] });
    expect(env).toMatchObject({
      IMAGE_SERVICE_PUBLIC_URL: `https://${s.domainName}`,
      IMAGE_SERVICE_CACHE_MAX_AGE: String(s.cache.browserMaxAgeSeconds),
      IMAGE_SERVICE_MAX_UPLOAD_BYTES: String(s.limits.maxUploadBytes),
      IMAGE_SERVICE_MAX_INPUT_PIXELS: String(s.limits.maxInputPixels),
      IMAGE_SERVICE_MAX_INPUT_BYTES: String(s.limits.maxInputBytes),
      IMAGE_SERVICE_MAX_INPUT_FRAMES: String(s.limits.maxInputFrames),
      IMAGE_SERVICE_MAX_OUTPUT_BYTES: String(s.limits.maxOutputBytes),
      IMAGE_SERVICE_MAX_OUTPUT_DIMENSION: String(s.limits.maxOutputDimension),
      IMAGE_SERVICE_MAX_OPERATIONS: String(s.limits.maxOperations),
      IMAGE_SERVICE_ROUTES: s.routes.join(','),
      IMAGE_SERVICE_CORS_ORIGINS: s.corsOrigins.join(','),
      IMAGE_SERVICE_SIGNING: s.signing.mode,
      IMAGE_SERVICE_SIGN_ORIGINALS: String(s.signing.originals),
      IMAGE_SERVICE_LIST_REQUIRES_TOKEN: String(s.listRequiresToken),
      IMAGE_SERVICE_WATERMARKS_DIR: '/var/task/assets/watermarks',
      IMAGE_SERVICE_STAGE: stage,
      IMAGE_SERVICE_METRICS_NAMESPACE: `ImageService/${stage}`,
      AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH: 'true',
      RUST_LOG: s.lambda.rustLog,
    });
  });

  test('Lambda environment: output limit within what a streamed Lambda response can carry', () => {
    const env = serviceFunction(out.template)[1].Properties.Environment.Variables;
    expect(Number(env.IMAGE_SERVICE_MAX_OUTPUT_BYTES)).toBe(s.limits.maxOutputBytes);
    expect(Number(env.IMAGE_SERVICE_MAX_OUTPUT_BYTES)).toBeLessThanOrEqual(LAMBDA_MAX_OUTPUT_BYTES);
  });

  test('Lambda environment: processing deadline 1.5 s below the processing time, streaming time on top', () => {
    const [, fn] = serviceFunction(out.template);
    const deadline = Number(fn.Properties.Environment.Variables.IMAGE_SERVICE_DEADLINE_MS);
    expect(fn.Properties.Timeout).toBe(functionTimeoutSeconds(s.lambda.timeoutSeconds, s.limits.maxOutputBytes));
    expect(deadline).toBe(Math.max(1000, s.lambda.timeoutSeconds * 1000 - 1500));
    expect(deadline).toBeLessThan(fn.Properties.Timeout * 1000);
  });

  test('Lambda environment: the secret is read at run time, nothing secret is resolved into it', () => {
    const env = serviceFunction(out.template)[1].Properties.Environment.Variables;
    expect(env).toMatchObject({
      IMAGE_SERVICE_SECRETS_ID: s.secretsId,
      IMAGE_SERVICE_SECRETS_TTL_SECONDS: String(s.secretsTtlSeconds),
      IMAGE_SERVICE_REQUIRE_ORIGIN_SECRET: 'true',
    });
    for (const [name, value] of Object.entries(env)) {
      expect([name, JSON.stringify(value)]).not.toEqual([name, expect.stringContaining('{{resolve:')]);
    }
    expect(env.IMAGE_SERVICE_WRITE_TOKENS).toBeUndefined();
    expect(env.IMAGE_SERVICE_SIGNING_KEYS).toBeUndefined();
    expect(env.IMAGE_SERVICE_ORIGIN_SECRETS).toBeUndefined();
  });

  test('CloudFront sends X-Origin-Verify from the secret\'s originSecret field: a dynamic reference, nothing in clear', () => {
    const [, dist] = only(out.template, 'AWS::CloudFront::Distribution');
    const origins: any[] = dist.Properties.DistributionConfig.Origins;
    expect(origins.length).toBe(s.edge.serveFromS3 ? 3 : 1);
    // Only the API origin carries the header: the buckets never see the origin secret.
    for (const o of origins.slice(1)) expect(o.OriginCustomHeaders).toBeUndefined();
    expect(origins[0].OriginCustomHeaders).toEqual([{
      HeaderName: 'X-Origin-Verify',
      HeaderValue: `{{resolve:secretsmanager:${s.secretsId}:SecretString:originSecret::${s.secretsVersionId ?? ''}}}`,
    }]);
    // The only dynamic reference in the whole template is that header.
    const text = JSON.stringify(out.template.toJSON());
    expect(text.match(/\{\{resolve:[^}]*\}\}/g)).toEqual([origins[0].OriginCustomHeaders[0].HeaderValue]);
  });

  test('Lambda package: bootstrap plus the watermarks under assets/watermarks', () => {
    const [, fn] = serviceFunction(out.template);
    const hash = String(fn.Properties.Code.S3Key).replace(/\.zip$/, '');
    const dir = path.join(out.outdir, `asset.${hash}`);
    const bootstrap = fs.statSync(path.join(dir, 'bootstrap'));
    expect(bootstrap.mode & 0o111).not.toBe(0);
    expect(fs.readdirSync(path.join(dir, 'assets', 'watermarks'))).toEqual(['logo.png']);
  });

  test('IAM: the function role reaches only its bucket, its log group and its secret (GetSecretValue only)', () => {
    const [, fn] = serviceFunction(out.template);
    const roleId = fn.Properties.Role['Fn::GetAtt'][0];
    const role = out.template.toJSON().Resources[roleId];
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const policies = resourcesOf(out.template, 'AWS::IAM::Policy').filter(([, p]) => p.Properties.Roles.some((r: any) => r.Ref === roleId));
    expect(policies).toHaveLength(1);
    const statements: any[] = policies[0][1].Properties.PolicyDocument.Statement;
    const groupId = fn.Properties.LoggingConfig.LogGroup.Ref;
    const actions = new Set<string>();
    const secretArn = `arn:aws:secretsmanager:${s.region}:${s.account}:secret:${s.secretsId}-??????`;
    for (const st of statements) {
      expect(st.Effect).toBe('Allow');
      const resources = [st.Resource].flat();
      if ([st.Action].flat().some((a: string) => a.startsWith('secretsmanager:'))) {
        expect(st.Action).toBe('secretsmanager:GetSecretValue');
        expect(st.Resource).toBe(secretArn);
        actions.add(st.Action);
        continue;
      }
      if ([st.Action].flat().some((a: string) => a.startsWith('xray:'))) {
        expect(s.tracing).toBe(true);
        expect(st.Resource).toBe('*');
        expect([st.Action].flat().sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
        continue;
      }
      const buckets = [bucketId(), ...(s.resultCache.enabled ? [resultsId()] : [])];
      const allowed = [
        ...buckets.flatMap((b) => [{ 'Fn::GetAtt': [b, 'Arn'] }, { 'Fn::Join': ['', [{ 'Fn::GetAtt': [b, 'Arn'] }, '/*']] }]),
        { 'Fn::GetAtt': [groupId, 'Arn'] },
      ].map((r) => JSON.stringify(r));
      for (const r of resources) expect(allowed).toContain(JSON.stringify(r));
      for (const a of [st.Action].flat()) actions.add(a);
    }
    const expected = ['s3:GetObject', 's3:ListBucket', 'logs:CreateLogStream', 'logs:PutLogEvents', 'secretsmanager:GetSecretValue'];
    if (s.routes.includes('upload')) expected.push('s3:PutObject');
    if (s.routes.includes('delete')) expected.push('s3:DeleteObject');
    expect([...actions].sort()).toEqual(expected.sort());
  });

  test('alarms: Lambda errors and throttles, EMF 5xx and transform p99 here, CloudFront 5xx rate in us-east-1; all notify a topic', () => {
    const createdTopic = (tpl: typeof out.template) => ({ Ref: only(tpl, 'AWS::SNS::Topic')[0] });
    const topic = s.alarms.snsTopicArn ?? createdTopic(out.template);
    if (s.alarms.snsTopicArn) out.template.resourceCountIs('AWS::SNS::Topic', 0);
    const alarms = resourcesOf(out.template, 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBe(s.region === 'us-east-1' ? 5 : 4);
    for (const [, a] of alarms) {
      expect(a.Properties.AlarmActions).toEqual([topic]);
      expect(a.Properties.OKActions).toEqual([topic]);
    }
    out.template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/Lambda', MetricName: 'Errors', Threshold: s.alarms.lambdaErrorsThreshold });
    out.template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/Lambda', MetricName: 'Throttles' });
    out.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: `ImageService/${stage}`, MetricName: 'Errors5xx', Statistic: 'Sum', Dimensions: Match.absent(), Threshold: s.alarms.errors5xxThreshold,
    });
    out.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: `ImageService/${stage}`, MetricName: 'Latency', ExtendedStatistic: 'p99',
      Dimensions: [{ Name: 'Route', Value: 'transform' }], Threshold: s.alarms.transformLatencyP99Ms, EvaluationPeriods: 3,
    });
    const cf = { Namespace: 'AWS/CloudFront', MetricName: '5xxErrorRate', Threshold: s.alarms.cloudfront5xxRatePercent };
    if (s.region === 'us-east-1') {
      expect(out.edge).toBeUndefined();
      out.template.hasResourceProperties('AWS::CloudWatch::Alarm', cf);
    } else {
      expect(out.edge?.region).toBe('us-east-1');
      out.template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', Match.objectLike(cf), 0);
      const edgeTopic = s.alarms.edgeSnsTopicArn ?? createdTopic(out.edgeTemplate!);
      out.edgeTemplate!.hasResourceProperties('AWS::CloudWatch::Alarm', {
        ...cf,
        Dimensions: Match.arrayWith([{
          Name: 'DistributionId',
          Value: { 'Fn::GetStackOutput': Match.objectLike({ StackName: out.main.stackName, Region: s.region }) },
        }]),
        AlarmActions: [edgeTopic],
      });
    }
  });

  test('a topic the stack creates enforces TLS', () => {
    for (const tpl of [out.template, out.edgeTemplate].filter((x) => x !== undefined)) {
      for (const [id] of resourcesOf(tpl, 'AWS::SNS::Topic')) {
        tpl.hasResourceProperties('AWS::SNS::TopicPolicy', {
          Topics: [{ Ref: id }],
          PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
        });
      }
    }
  });

  test('dashboard: EMF metrics by route, phase and code, Lambda, API Gateway, CloudFront from us-east-1', () => {
    const [, dash] = only(out.template, 'AWS::CloudWatch::Dashboard');
    expect(dash.Properties.DashboardName).toBe(dashboardName(stage));
    // The body is a Fn::Join of strings and tokens; the strings are enough to read the widgets.
    const body: string = dash.Properties.DashboardBody['Fn::Join'][1].map((p: unknown) => (typeof p === 'string' ? p : 'TOKEN')).join('');
    const widgets: any[] = JSON.parse(body).widgets;
    const metrics = widgets.flatMap((w) => (w.properties.metrics ?? []) as any[][]);
    // [namespace, name, dim1, value1, ...]: every given (dim, value) pair present, in any order.
    const has = (ns: string, name: string, ...dims: string[]) => metrics.some((m) => m[0] === ns && m[1] === name
      && dims.every((d, i) => (i % 2 === 1 ? true : m.some((x, j) => j >= 2 && j % 2 === 0 && x === d && (dims[i + 1] === undefined || m[j + 1] === dims[i + 1])))));
    const ns = metricsNamespace(stage);
    for (const name of ['Requests', 'Errors4xx', 'Errors5xx', 'Latency']) expect(has(ns, name)).toBe(true);
    expect(has(ns, 'Latency', 'Route', 'transform')).toBe(true);
    for (const phase of EMF_PHASES) expect(has(ns, phase, 'Route', 'transform')).toBe(true);
    expect(body).toContain(`SEARCH('{${ns},Code} MetricName=\\"Errors\\"', 'Sum', 300)`);
    for (const name of ['Invocations', 'Errors', 'Throttles', 'Duration', 'ConcurrentExecutions']) expect(has('AWS/Lambda', name)).toBe(true);
    for (const name of ['Count', '4XXError', '5XXError', 'Latency', 'IntegrationLatency']) expect(has('AWS/ApiGateway', name)).toBe(true);
    const cfWidgets = widgets.filter((w) => (w.properties.metrics ?? []).some((m: any[]) => m[0] === 'AWS/CloudFront'));
    expect(cfWidgets.length).toBeGreaterThanOrEqual(2);
    for (const w of cfWidgets) expect(w.properties.region).toBe('us-east-1');
    for (const name of ['Requests', '4xxErrorRate', '5xxErrorRate']) expect(has('AWS/CloudFront', name, 'DistributionId')).toBe(true);
    expect(has('AWS/CloudFront', 'CacheHitRate', 'DistributionId')).toBe(s.cloudfront.additionalMetrics);
    expect(has('AWS/WAFV2', 'BlockedRequests', 'WebACL', webAclName(stage))).toBe(s.cloudfront.waf.enabled);
    expect(widgets.some((w) => w.type === 'log' && String(w.properties.query).includes('filter msg = \"request\" and status >= 500'))).toBe(true);
  });

  test('WAF: the stack\'s web ACL (rate limit, common and known-bad-inputs rules) on the distribution when enabled', () => {
    const [, dist] = only(out.template, 'AWS::CloudFront::Distribution');
    const acls = resourcesOf(out.template, 'AWS::WAFv2::WebACL');
    if (!s.cloudfront.waf.enabled) {
      expect(acls).toEqual([]);
      expect(dist.Properties.DistributionConfig.WebACLId).toBe(s.cloudfront.webAclArn);
      return;
    }
    expect(s.region).toBe('us-east-1'); // elsewhere the ACL lives in the edge WAF stack (variants)
    expect(acls).toHaveLength(1);
    const [aclId, acl] = acls[0];
    expect(dist.Properties.DistributionConfig.WebACLId).toEqual({ 'Fn::GetAtt': [aclId, 'Arn'] });
    expect(acl.Properties.Scope).toBe('CLOUDFRONT');
    expect(acl.Properties.DefaultAction).toEqual({ Allow: {} });
    const rules: any[] = acl.Properties.Rules;
    expect(rules.map((r) => r.Name)).toEqual(['RateLimitPerIp', 'AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet']);
    expect(rules[0]).toMatchObject({ Action: { Block: {} }, Statement: { RateBasedStatement: { Limit: s.cloudfront.waf.rateLimit, AggregateKeyType: 'IP' } } });
    const overrides = rules[1].Statement.ManagedRuleGroupStatement.RuleActionOverrides ?? [];
    expect(overrides.map((o: any) => o.Name)).toEqual(s.routes.includes('upload') ? [...BODY_RULES] : []);
    for (const o of overrides) expect(o.ActionToUse).toEqual({ Count: {} });
  });

  test('checkov: settings-dependent suppressions only where the setting is off', () => {
    const skips = (type: string, pick: (r: [string, any]) => boolean = () => true) => resourcesOf(out.template, type).filter(pick)
      .flatMap(([, r]) => (r.Metadata?.checkov?.skip ?? []).map((k: any) => k.id));
    const originals = skips('AWS::S3::Bucket', ([id]) => id === bucketId());
    expect(originals.includes('CKV_AWS_18')).toBe(!s.accessLogs.s3);
    const apiStage = skips('AWS::ApiGateway::Stage');
    expect(apiStage.includes('CKV_AWS_76')).toBe(!s.accessLogs.api);
    expect(apiStage.includes('CKV_AWS_73')).toBe(!s.tracing);
    const dist = skips('AWS::CloudFront::Distribution');
    expect(dist.includes('CKV_AWS_86')).toBe(!s.accessLogs.cloudfront);
    expect(dist.includes('CKV_AWS_68')).toBe(!s.cloudfront.waf.enabled && !s.cloudfront.webAclArn);
    expect(skips('AWS::Lambda::Function', ([, f]) => f.Properties.Handler === 'bootstrap')).toEqual([]);
    for (const [, r] of Object.entries<any>(out.template.toJSON().Resources)) {
      for (const k of r.Metadata?.checkov?.skip ?? []) expect(k.comment.length).toBeGreaterThan(30);
    }
  });

  test('outputs: distribution domain (CNAME target), API URL, bucket name', () => {
    const outputs = out.template.toJSON().Outputs;
    expect(outputs.DistributionDomainName.Value).toEqual({ 'Fn::GetAtt': [logicalId('AWS::CloudFront::Distribution'), 'DomainName'] });
    expect(JSON.stringify(outputs.ApiUrl.Value)).toContain(logicalId('AWS::ApiGateway::RestApi'));
    expect(outputs.BucketName.Value).toEqual({ Ref: bucketId() });
  });

  test('stack environment is the stage account and region', () => {
    expect(out.main.account).toBe(s.account);
    expect(out.main.region).toBe(s.region);
  });
});
