import * as fs from 'node:fs';
import * as path from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { loadStage, Route, StageSettings } from '../lib/config';
import { LISTING_PATH_PATTERN, ROUTE_METHODS, STRIP_AUTHORIZATION_ON_READS } from '../lib/image-service-stack';
import { checkedInStages, only, resourcesOf, serviceFunction, synth, Synthesized } from './helpers';

// AWS managed origin request policy "AllViewerExceptHostHeader".
const ALL_VIEWER_EXCEPT_HOST_HEADER = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';
// AWS managed cache policy "CachingDisabled".
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';

/** Runs the viewer-request CloudFront Function source on a request and returns what it forwards. */
function runViewerRequest(code: string, method: string, headers: Record<string, { value: string }>): any {
  const handler = new Function(`${code}\nreturn handler;`)() as (event: unknown) => any;
  return handler({ version: '1.0', request: { method, uri: '/a.jpg', querystring: {}, headers: structuredClone(headers), cookies: {} } });
}

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
  const bucketId = () => out.template.getResourceId('AWS::S3::Bucket', {
    Properties: Match.objectLike({ BucketEncryption: Match.anyValue(), ...(s.accessLogs.enabled ? { LoggingConfiguration: Match.anyValue() } : {}) }),
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

  test('bucket lifecycle: retained or emptied on destroy as configured', () => {
    const [, bucket] = resourcesOf(out.template, 'AWS::S3::Bucket').find(([id]) => id === bucketId())!;
    const autoDelete = resourcesOf(out.template, 'Custom::S3AutoDeleteObjects');
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
        Origins: [Match.objectLike({ CustomOriginConfig: Match.objectLike({ OriginProtocolPolicy: 'https-only' }) })],
      }),
    });
    // The origin is this stack's API.
    const [, dist] = only(out.template, 'AWS::CloudFront::Distribution');
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
    const headers = [...(writes ? ['Authorization'] : []), ...(s.corsOrigins.length > 0 ? ['Origin'] : [])];
    out.template.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: Match.objectLike({
        DefaultTTL: s.cache.defaultTtlSeconds,
        MinTTL: s.cache.minTtlSeconds,
        MaxTTL: s.cache.maxTtlSeconds,
        ParametersInCacheKeyAndForwardedToOrigin: {
          QueryStringsConfig: { QueryStringBehavior: 'all' },
          // Authorization is named only so that it reaches the Lambda on POST/DELETE (reads lose
          // it at the edge); Origin because the Lambda's CORS answer depends on it.
          HeadersConfig: headers.length > 0 ? { HeaderBehavior: 'whitelist', Headers: headers } : { HeaderBehavior: 'none' },
          CookiesConfig: { CookieBehavior: 'none' },
          EnableAcceptEncodingGzip: true,
          EnableAcceptEncodingBrotli: true,
        },
      }),
    });
  });

  test('CloudFront write behaviour: Authorization reaches POST/DELETE, GET/HEAD never carry it', () => {
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
    expect(fn.Properties.FunctionCode).toBe(STRIP_AUTHORIZATION_ON_READS);
    const headers = { authorization: { value: 'Bearer t1' }, accept: { value: 'image/avif' } };
    for (const method of ['GET', 'HEAD']) {
      expect(runViewerRequest(fn.Properties.FunctionCode, method, headers).headers).toEqual({ accept: { value: 'image/avif' } });
    }
    for (const method of ['POST', 'DELETE']) {
      expect(runViewerRequest(fn.Properties.FunctionCode, method, headers).headers).toEqual(headers);
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
      Timeout: s.lambda.timeoutSeconds,
      LoggingConfig: { LogGroup: { Ref: Match.anyValue() } },
      ...(s.lambda.reservedConcurrency ? { ReservedConcurrentExecutions: s.lambda.reservedConcurrency } : {}),
    });
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
      AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH: 'true',
      RUST_LOG: s.lambda.rustLog,
    });
  });

  test('Lambda environment: output limit within what a Lambda response can carry', () => {
    const env = serviceFunction(out.template)[1].Properties.Environment.Variables;
    expect(Number(env.IMAGE_SERVICE_MAX_OUTPUT_BYTES)).toBeLessThanOrEqual(4_500_000);
  });

  test('Lambda environment: processing deadline 1.5 s below the function timeout', () => {
    const [, fn] = serviceFunction(out.template);
    const deadline = Number(fn.Properties.Environment.Variables.IMAGE_SERVICE_DEADLINE_MS);
    expect(fn.Properties.Timeout).toBe(s.lambda.timeoutSeconds);
    expect(deadline).toBe(Math.max(1000, s.lambda.timeoutSeconds * 1000 - 1500));
    expect(deadline).toBeLessThan(fn.Properties.Timeout * 1000);
  });

  test('Lambda environment: write tokens as a Secrets Manager dynamic reference, no secret id', () => {
    const env = serviceFunction(out.template)[1].Properties.Environment.Variables;
    expect(s.secretsId).toBeDefined(); // writes need it
    expect(env.IMAGE_SERVICE_WRITE_TOKENS).toBe(`{{resolve:secretsmanager:${s.secretsId}:SecretString:writeTokens::}}`);
    if (s.signing.mode === 'required') {
      expect(env.IMAGE_SERVICE_SIGNING_KEYS).toBe(`{{resolve:secretsmanager:${s.secretsId}:SecretString:signingKeys::}}`);
    } else {
      expect(env.IMAGE_SERVICE_SIGNING_KEYS).toBeUndefined();
    }
    expect(env.IMAGE_SERVICE_SECRETS_ID).toBeUndefined();
    // Nothing secret in clear anywhere in the template: only the references.
    const text = JSON.stringify(out.template.toJSON());
    expect(text.match(/\{\{resolve:secretsmanager:[^}]*\}\}/g)?.length).toBe(s.signing.mode === 'required' ? 2 : 1);
  });

  test('Lambda package: bootstrap plus the watermarks under assets/watermarks', () => {
    const [, fn] = serviceFunction(out.template);
    const hash = String(fn.Properties.Code.S3Key).replace(/\.zip$/, '');
    const dir = path.join(out.outdir, `asset.${hash}`);
    const bootstrap = fs.statSync(path.join(dir, 'bootstrap'));
    expect(bootstrap.mode & 0o111).not.toBe(0);
    expect(fs.readdirSync(path.join(dir, 'assets', 'watermarks'))).toEqual(['logo.png']);
  });

  test('IAM: the function role reaches only its bucket and its log group (no Secrets Manager: the references resolve at deploy)', () => {
    const [, fn] = serviceFunction(out.template);
    const roleId = fn.Properties.Role['Fn::GetAtt'][0];
    const role = out.template.toJSON().Resources[roleId];
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const policies = resourcesOf(out.template, 'AWS::IAM::Policy').filter(([, p]) => p.Properties.Roles.some((r: any) => r.Ref === roleId));
    expect(policies).toHaveLength(1);
    const statements: any[] = policies[0][1].Properties.PolicyDocument.Statement;
    const groupId = fn.Properties.LoggingConfig.LogGroup.Ref;
    const actions = new Set<string>();
    for (const st of statements) {
      expect(st.Effect).toBe('Allow');
      const resources = [st.Resource].flat();
      for (const r of resources) {
        const text = JSON.stringify(r);
        expect(text === JSON.stringify({ 'Fn::GetAtt': [bucketId(), 'Arn'] })
          || text === JSON.stringify({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId(), 'Arn'] }, '/*']] })
          || text === JSON.stringify({ 'Fn::GetAtt': [groupId, 'Arn'] })).toBe(true);
      }
      for (const a of [st.Action].flat()) actions.add(a);
    }
    const expected = ['s3:GetObject', 's3:ListBucket', 'logs:CreateLogStream', 'logs:PutLogEvents'];
    if (s.routes.includes('upload')) expected.push('s3:PutObject');
    if (s.routes.includes('delete')) expected.push('s3:DeleteObject');
    expect([...actions].sort()).toEqual(expected.sort());
  });

  test('alarms: Lambda errors and throttles here, CloudFront 5xx rate in us-east-1', () => {
    const topics = s.alarms.snsTopicArn ? [s.alarms.snsTopicArn] : Match.absent();
    out.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda', MetricName: 'Errors', Threshold: s.alarms.lambdaErrorsThreshold, AlarmActions: topics,
    });
    out.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda', MetricName: 'Throttles', AlarmActions: topics,
    });
    const cf = { Namespace: 'AWS/CloudFront', MetricName: '5xxErrorRate', Threshold: s.alarms.cloudfront5xxRatePercent };
    if (s.region === 'us-east-1') {
      expect(out.edge).toBeUndefined();
      out.template.hasResourceProperties('AWS::CloudWatch::Alarm', { ...cf, AlarmActions: topics });
    } else {
      expect(out.edge?.region).toBe('us-east-1');
      out.template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', Match.objectLike(cf), 0);
      out.edgeTemplate!.hasResourceProperties('AWS::CloudWatch::Alarm', {
        ...cf,
        Dimensions: Match.arrayWith([{
          Name: 'DistributionId',
          Value: { 'Fn::GetStackOutput': Match.objectLike({ StackName: out.main.stackName, Region: s.region }) },
        }]),
        AlarmActions: s.alarms.edgeSnsTopicArn ? [s.alarms.edgeSnsTopicArn] : Match.absent(),
      });
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
