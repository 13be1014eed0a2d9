import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { buildApp } from '../lib/app';
import { loadStage } from '../lib/config';
import { ImageServiceStack } from '../lib/image-service-stack';
import { CDK_JSON_CONTEXT, checkedInStages, fixtures, only, resourcesOf, serviceFunction, synth, Synthesized, writeStagesFile } from './helpers';

const dev = (): Record<string, any> => structuredClone(checkedInStages().dev);

describe('a read-only stage (only "get" enabled)', () => {
  const stagesFile = writeStagesFile({ ro: { ...dev(), routes: ['get'], lambda: { memoryMb: 512, timeoutSeconds: 10, reservedConcurrency: 7 } } });
  let template: Template;
  beforeAll(() => {
    template = synth('ro', { stagesFile }).template;
  });

  test('has GET and HEAD on /{proxy+} only: no list, upload, delete or preflight', () => {
    const methods = resourcesOf(template, 'AWS::ApiGateway::Method').map(([, m]) => m.Properties.HttpMethod).sort();
    expect(methods).toEqual(['GET', 'HEAD']);
    const [, get] = resourcesOf(template, 'AWS::ApiGateway::Method')[0];
    expect(get.Properties.ResourceId.Ref).toBeDefined(); // on {proxy+}, not on the root
  });

  test('takes its Lambda sizing from the settings', () => {
    // Timeout: 10 s of processing, plus streaming the default 199 MB ceiling (97 s) and 2 s.
    template.hasResourceProperties('AWS::Lambda::Function', { Handler: 'bootstrap', MemorySize: 512, Timeout: 109, ReservedConcurrentExecutions: 7 });
  });

  test('CloudFront allows only GET and HEAD', () => {
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({ DefaultCacheBehavior: Match.objectLike({ AllowedMethods: ['GET', 'HEAD'] }) }),
    });
  });

  test('no Authorization anywhere at the edge: not in the cache key, not removed by the function, no listing behaviour', () => {
    // Origin stays: the Lambda's CORS answer depends on it; x-image-accept is the Accept class.
    template.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: Match.objectLike({
        ParametersInCacheKeyAndForwardedToOrigin: Match.objectLike({ HeadersConfig: { HeaderBehavior: 'whitelist', Headers: ['Origin', 'x-image-accept'] } }),
      }),
    });
    // The viewer function still sets the Accept class, with nothing to strip.
    const [, fn] = only(template, 'AWS::CloudFront::Function');
    expect(JSON.parse(/^const CONFIG = (.*);$/m.exec(fn.Properties.FunctionCode)![1]).writes).toBe(false);
    const [, dist] = resourcesOf(template, 'AWS::CloudFront::Distribution')[0];
    expect(dist.Properties.DistributionConfig.DefaultCacheBehavior.FunctionAssociations).toHaveLength(1);
    expect(dist.Properties.DistributionConfig.CacheBehaviors).toBeUndefined();
  });

  test('still reads its secret (the origin secret) and requires it, like every stage', () => {
    const env = serviceFunction(template)[1].Properties.Environment.Variables;
    expect(env.IMAGE_SERVICE_SECRETS_ID).toBe('image-service/dev');
    expect(env.IMAGE_SERVICE_REQUIRE_ORIGIN_SECRET).toBe('true');
    expect(JSON.stringify(template.toJSON()).match(/resolve:secretsmanager/g)).toHaveLength(1);
  });

  test('has no WAF rules for upload bodies to relax, and no WAF unless enabled', () => {
    template.resourceCountIs('AWS::WAFv2::WebACL', 0);
  });

  test('derives its processing deadline from its 10 s timeout', () => {
    expect(serviceFunction(template)[1].Properties.Environment.Variables.IMAGE_SERVICE_DEADLINE_MS).toBe('8500');
  });

  test('the function may read and list originals, but neither write nor delete them (results are its own cache)', () => {
    const statements: any[] = Object.values<any>(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    const originals = statements.filter((st) => st.Sid === 'OriginalsObjects' || st.Sid === 'OriginalsList');
    expect(originals.map((st) => st.Action).sort()).toEqual(['s3:GetObject', 's3:ListBucket']);
    // Null model: the results statement does write, and it names only the results bucket.
    const results = statements.find((st) => st.Sid === 'ResultsObjects');
    expect(results.Action).toContain('s3:PutObject');
    expect(JSON.stringify(results.Resource)).toContain('Results');
    const [, fn] = serviceFunction(template);
    expect(fn.Properties.Environment.Variables.IMAGE_SERVICE_ROUTES).toBe('get');
  });
});

describe('signed URLs required, secret version pinned', () => {
  const versionId = 'a1b2c3d4-5678-90ab-cdef-111111111111';
  const stagesFile = writeStagesFile({
    signed: {
      ...dev(),
      signing: { mode: 'required', originals: true },
      secretsId: 'arn:aws:secretsmanager:eu-central-1:111111111111:secret:image-service/signed-AbCdEf',
      secretsVersionId: versionId,
      secretsTtlSeconds: 0,
      limits: { maxOutputBytes: 3_000_000, maxOperations: 8, maxOutputDimension: 8192, maxInputFrames: 100, maxInputBytes: 1048576 },
      lambda: { timeoutSeconds: 2 },
    },
  });
  let template: Template;
  beforeAll(() => {
    template = synth('signed', { stagesFile }).template;
  });

  const arn = 'arn:aws:secretsmanager:eu-central-1:111111111111:secret:image-service/signed-AbCdEf';

  test('the Lambda gets the complete secret ARN and may read exactly that secret', () => {
    const env = serviceFunction(template)[1].Properties.Environment.Variables;
    expect(env.IMAGE_SERVICE_SIGNING).toBe('required');
    expect(env.IMAGE_SERVICE_SIGN_ORIGINALS).toBe('true');
    expect(env.IMAGE_SERVICE_SECRETS_ID).toBe(arn);
    expect(env.IMAGE_SERVICE_SIGNING_KEYS).toBeUndefined();
    expect(env.IMAGE_SERVICE_WRITE_TOKENS).toBeUndefined();
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([{ Sid: 'StageSecret', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: arn }]) },
    });
  });

  test('CloudFront\'s origin header resolves the pinned version', () => {
    const [, dist] = resourcesOf(template, 'AWS::CloudFront::Distribution')[0];
    expect(dist.Properties.DistributionConfig.Origins[0].OriginCustomHeaders).toEqual([
      { HeaderName: 'X-Origin-Verify', HeaderValue: `{{resolve:secretsmanager:${arn}:SecretString:originSecret::${versionId}}}` },
    ]);
  });

  test('limits and the deadline of a 2 s timeout reach the environment', () => {
    const env = serviceFunction(template)[1].Properties.Environment.Variables;
    expect(env).toMatchObject({
      IMAGE_SERVICE_MAX_OUTPUT_BYTES: '3000000',
      IMAGE_SERVICE_MAX_OPERATIONS: '8',
      IMAGE_SERVICE_MAX_OUTPUT_DIMENSION: '8192',
      IMAGE_SERVICE_MAX_INPUT_FRAMES: '100',
      IMAGE_SERVICE_MAX_INPUT_BYTES: '1048576',
      IMAGE_SERVICE_DEADLINE_MS: '1000',
    });
  });

  test('the secret TTL reaches the Lambda', () => {
    expect(serviceFunction(template)[1].Properties.Environment.Variables.IMAGE_SERVICE_SECRETS_TTL_SECONDS).toBe('0');
  });
});

describe('a secret named by a partial ARN (no random suffix)', () => {
  const partial = 'arn:aws:secretsmanager:eu-central-1:111111111111:secret:image-service/partial';
  const stagesFile = writeStagesFile({ partial: { ...dev(), secretsId: partial } });
  test('grants GetSecretValue on <ARN>-?????? so the real, suffixed ARN matches', () => {
    const { template } = synth('partial', { stagesFile });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'StageSecret', Resource: `${partial}-??????` })]) },
    });
    expect(serviceFunction(template)[1].Properties.Environment.Variables.IMAGE_SERVICE_SECRETS_ID).toBe(partial);
  });
});

describe('a public listing', () => {
  const stagesFile = writeStagesFile({ open: { ...dev(), routes: ['list', 'get'], listRequiresToken: false } });
  let template: Template;
  beforeAll(() => {
    template = synth('open', { stagesFile }).template;
  });

  test('tells the Lambda the listing is public', () => {
    const env = serviceFunction(template)[1].Properties.Environment.Variables;
    expect(env.IMAGE_SERVICE_LIST_REQUIRES_TOKEN).toBe('false');
  });

  test('gets no preflight on / (a public listing is a simple GET) and no Authorization at the edge', () => {
    expect(resourcesOf(template, 'AWS::ApiGateway::Method').map(([, m]) => m.Properties.HttpMethod).sort()).toEqual(['GET', 'GET', 'HEAD']);
    const [, fn] = only(template, 'AWS::CloudFront::Function');
    expect(JSON.parse(/^const CONFIG = (.*);$/m.exec(fn.Properties.FunctionCode)![1]).writes).toBe(false);
  });

  test('still keeps the listing out of the edge cache', () => {
    const [, dist] = resourcesOf(template, 'AWS::CloudFront::Distribution')[0];
    expect(dist.Properties.DistributionConfig.CacheBehaviors).toEqual([
      expect.objectContaining({ PathPattern: '/', CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad' }),
    ]);
  });
});

describe('CORS for any origin ("*")', () => {
  const stagesFile = writeStagesFile({ anyorigin: { ...dev(), corsOrigins: ['*'] } });
  let template: Template;
  beforeAll(() => {
    template = synth('anyorigin', { stagesFile }).template;
  });

  test('the Lambda answers * and the cache key leaves Origin out (every response is the same for every origin)', () => {
    expect(serviceFunction(template)[1].Properties.Environment.Variables.IMAGE_SERVICE_CORS_ORIGINS).toBe('*');
    template.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: Match.objectLike({
        ParametersInCacheKeyAndForwardedToOrigin: Match.objectLike({ HeadersConfig: { HeaderBehavior: 'whitelist', Headers: ['Authorization', 'x-image-accept'] } }),
      }),
    });
  });

  test('the preflights answer Access-Control-Allow-Origin: * and still allow Authorization', () => {
    const options = resourcesOf(template, 'AWS::ApiGateway::Method').filter(([, m]) => m.Properties.HttpMethod === 'OPTIONS');
    expect(options).toHaveLength(2); // /{proxy+} for writes, / for the token-guarded listing
    for (const [, m] of options) {
      const headers = m.Properties.Integration.IntegrationResponses[0].ResponseParameters;
      expect(headers['method.response.header.Access-Control-Allow-Origin']).toBe("'*'");
      expect(headers['method.response.header.Access-Control-Allow-Headers']).toContain('Authorization');
    }
  });
});

describe('WAF on a stage outside us-east-1', () => {
  const stagesFile = writeStagesFile({ walled: { ...dev(), cloudfront: { waf: { enabled: true, rateLimit: 300 } } } });
  let out: Synthesized;
  beforeAll(() => {
    out = synth('walled', { stagesFile });
  });

  test('the web ACL lives in a us-east-1 stack the main stack depends on', () => {
    expect(out.edgeWaf?.region).toBe('us-east-1');
    expect(out.edgeWaf?.stackName).toBe('image-service-walled-edge-waf');
    expect(out.main.dependencies).toContain(out.edgeWaf);
    out.template.resourceCountIs('AWS::WAFv2::WebACL', 0);
    const waf = Template.fromJSON(out.app.synth().getStackByName(out.edgeWaf!.stackName).template);
    waf.hasResourceProperties('AWS::WAFv2::WebACL', {
      Name: 'image-service-walled',
      Scope: 'CLOUDFRONT',
      Rules: Match.arrayWith([Match.objectLike({ Name: 'RateLimitPerIp', Statement: { RateBasedStatement: { Limit: 300, AggregateKeyType: 'IP' } } })]),
    });
  });

  test('the distribution takes the ACL\'s ARN across regions', () => {
    const [, dist] = resourcesOf(out.template, 'AWS::CloudFront::Distribution')[0];
    expect(dist.Properties.DistributionConfig.WebACLId).toEqual({
      'Fn::GetStackOutput': expect.objectContaining({ StackName: 'image-service-walled-edge-waf', Region: 'us-east-1' }),
    });
    const skips = (dist.Metadata?.checkov?.skip ?? []).map((k: any) => k.id);
    expect(skips).not.toContain('CKV_AWS_68');
  });

  test('a WAF stage is refused if the edge ACL is not handed over', () => {
    expect(() => {
      const app = new App({ outdir: fs.mkdtempSync(path.join(fixtures.root, 'waf-')) });
      const settings = loadStage('walled', stagesFile);
      new ImageServiceStack(app, 'x', { settings, prebuiltDir: fixtures.lambdaAsset, watermarksDir: fixtures.watermarks });
    }).toThrow(/a CLOUDFRONT-scope web ACL must be created in us-east-1, not eu-central-1/);
  });
});

describe('alarm topics', () => {
  test('the stack creates both topics with the e-mail subscriptions when none is named', () => {
    const stagesFile = writeStagesFile({ mailed: { ...dev(), alarms: { emails: ['ops@example.com'] } } });
    const out = synth('mailed', { stagesFile });
    for (const tpl of [out.template, out.edgeTemplate!]) {
      tpl.resourceCountIs('AWS::SNS::Topic', 1);
      tpl.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
      expect(tpl.toJSON().Outputs.AlarmTopicArn).toBeDefined();
    }
    out.template.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'image-service-mailed-alarms' });
    out.edgeTemplate!.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'image-service-mailed-edge-alarms' });
  });

  test('named topics are used as they are, nothing is created', () => {
    const alarms = { snsTopicArn: 'arn:aws:sns:eu-central-1:111111111111:ops', edgeSnsTopicArn: 'arn:aws:sns:us-east-1:111111111111:ops' };
    const out = synth('named', { stagesFile: writeStagesFile({ named: { ...dev(), alarms } }) });
    out.template.resourceCountIs('AWS::SNS::Topic', 0);
    out.edgeTemplate!.resourceCountIs('AWS::SNS::Topic', 0);
    for (const [, a] of resourcesOf(out.template, 'AWS::CloudWatch::Alarm')) expect(a.Properties.AlarmActions).toEqual([alarms.snsTopicArn]);
    out.edgeTemplate!.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmActions: [alarms.edgeSnsTopicArn] });
  });
});

describe('a stage without CORS origins', () => {
  const stagesFile = writeStagesFile({ nocors: { ...dev(), corsOrigins: [] } });
  let template: Template;
  beforeAll(() => {
    template = synth('nocors', { stagesFile }).template;
  });

  test('keys the cache on Authorization only (for writes), with no preflight anywhere', () => {
    template.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: Match.objectLike({
        ParametersInCacheKeyAndForwardedToOrigin: Match.objectLike({ HeadersConfig: { HeaderBehavior: 'whitelist', Headers: ['Authorization', 'x-image-accept'] } }),
      }),
    });
    expect(resourcesOf(template, 'AWS::ApiGateway::Method').filter(([, m]) => m.Properties.HttpMethod === 'OPTIONS')).toEqual([]);
    const [, dist] = resourcesOf(template, 'AWS::CloudFront::Distribution')[0];
    expect(dist.Properties.DistributionConfig.CacheBehaviors[0].AllowedMethods).toEqual(['GET', 'HEAD']);
  });
});

describe('the public-read opt-in', () => {
  const stagesFile = writeStagesFile({ pub: { ...dev(), bucket: { retain: false, publicRead: true } } });
  let template: Template;
  beforeAll(() => {
    template = synth('pub', { stagesFile }).template; // passes cdk-nag with the S2 acknowledgement
  });

  test('allows a public bucket policy but still blocks ACLs', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: false, RestrictPublicBuckets: false },
    });
  });

  test('grants anonymous GetObject only, and keeps TLS-only', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Sid: 'PublicReadOptIn', Effect: 'Allow', Principal: { AWS: '*' }, Action: 's3:GetObject' }),
        ]),
      },
    });
  });

  test('adds a GET/HEAD CORS rule for the stage origins on the bucket', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      CorsConfiguration: { CorsRules: [Match.objectLike({ AllowedMethods: ['GET', 'HEAD'], AllowedOrigins: dev().corsOrigins })] },
    });
  });
});

describe('the bin/package build path (bundling skipped)', () => {
  test('synthesizes an arm64 provided.al2023 function without compiling', () => {
    const out = synth('dev', { lambdaAsset: '', 'aws:cdk:bundling-stacks': [] });
    const [, fn] = serviceFunction(out.template);
    expect(fn.Properties.Architectures).toEqual(['arm64']);
    expect(fn.Properties.Runtime).toBe('provided.al2023');
    expect(fn.Properties.Handler).toBe('bootstrap');
    expect(fn.Properties.Code.S3Key).toMatch(/^[0-9a-f]{64}\.zip$/);
  });
});

describe('synth warnings', () => {
  test('an upload limit above what API Gateway can pass to Lambda, and missing watermarks, are flagged', () => {
    const raw = dev();
    raw.limits = { ...raw.limits, maxUploadBytes: 8 * 1024 * 1024 };
    const stagesFile = writeStagesFile({ big: raw });
    const noWatermarks = path.join(fixtures.root, 'no-such-watermarks');
    const out = synth('big', { stagesFile, watermarksDir: noWatermarks, 'aws:cdk:bundling-stacks': [] });
    const warnings = out.app.synth().getStackByName(out.main.stackName).messages
      .filter((m) => m.level === 'warning').map((m) => String(m.entry.data));
    expect(warnings.some((w) => /limits\.maxUploadBytes=8388608: API Gateway base64-encodes uploads/.test(w))).toBe(true);
    expect(warnings.some((w) => w.includes(`No watermark files in ${noWatermarks}`))).toBe(true);
  });
});

describe('the prebuilt asset path', () => {
  test('a directory without bootstrap is refused with a hint', () => {
    const empty = fs.mkdtempSync(path.join(fixtures.root, 'empty-'));
    expect(() => synth('dev', { lambdaAsset: empty })).toThrow(/has no 'bootstrap' file \(build the package with: bin\/package --out /);
  });
});

describe('cdk-nag', () => {
  test('is registered: an unacknowledged finding fails synth', () => {
    const app = new App({
      outdir: fs.mkdtempSync(path.join(fixtures.root, 'nag-')),
      context: { ...CDK_JSON_CONTEXT, stage: 'dev', lambdaAsset: fixtures.lambdaAsset, watermarksDir: fixtures.watermarks },
    });
    const { main } = buildApp(app);
    new s3.Bucket(main, 'Careless'); // no TLS-only policy, no access logs
    expect(() => app.synth()).toThrow(/AwsSolutions-S10/);
  });
});

describe('cdk.json', () => {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8'));
  test('synth stays offline and quiet: no notices, version reporting or telemetry', () => {
    expect(cdkJson.notices).toBe(false);
    expect(cdkJson.versionReporting).toBe(false);
    expect(cdkJson.context['cli-telemetry']).toBe(false);
  });
});
