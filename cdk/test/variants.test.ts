import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { buildApp } from '../lib/app';
import { CDK_JSON_CONTEXT, checkedInStages, fixtures, resourcesOf, serviceFunction, synth, writeStagesFile } from './helpers';

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
    template.hasResourceProperties('AWS::Lambda::Function', { Handler: 'bootstrap', MemorySize: 512, Timeout: 10, ReservedConcurrentExecutions: 7 });
  });

  test('CloudFront allows only GET and HEAD', () => {
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({ DefaultCacheBehavior: Match.objectLike({ AllowedMethods: ['GET', 'HEAD'] }) }),
    });
  });

  test('no Authorization anywhere at the edge: not in the cache key, no function, no listing behaviour', () => {
    // Origin stays: the Lambda's CORS answer depends on it.
    template.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: Match.objectLike({
        ParametersInCacheKeyAndForwardedToOrigin: Match.objectLike({ HeadersConfig: { HeaderBehavior: 'whitelist', Headers: ['Origin'] } }),
      }),
    });
    template.resourceCountIs('AWS::CloudFront::Function', 0);
    const [, dist] = resourcesOf(template, 'AWS::CloudFront::Distribution')[0];
    expect(dist.Properties.DistributionConfig.DefaultCacheBehavior.FunctionAssociations).toBeUndefined();
    expect(dist.Properties.DistributionConfig.CacheBehaviors).toBeUndefined();
  });

  test('gets no secret: no route of it needs write tokens, and signing is off', () => {
    const env = serviceFunction(template)[1].Properties.Environment.Variables;
    expect(env.IMAGE_SERVICE_WRITE_TOKENS).toBeUndefined();
    expect(env.IMAGE_SERVICE_SIGNING_KEYS).toBeUndefined();
    expect(JSON.stringify(template.toJSON())).not.toContain('resolve:secretsmanager');
  });

  test('derives its processing deadline from its 10 s timeout', () => {
    expect(serviceFunction(template)[1].Properties.Environment.Variables.IMAGE_SERVICE_DEADLINE_MS).toBe('8500');
  });

  test('the function may read and list, but neither write nor delete', () => {
    const text = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(text).toContain('s3:GetObject');
    expect(text).toContain('s3:ListBucket');
    expect(text).not.toContain('s3:PutObject');
    expect(text).not.toContain('s3:DeleteObject');
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
      limits: { maxOutputBytes: 3_000_000, maxOperations: 8, maxOutputDimension: 8192, maxInputFrames: 100, maxInputBytes: 1048576 },
      lambda: { timeoutSeconds: 2 },
    },
  });
  let template: Template;
  beforeAll(() => {
    template = synth('signed', { stagesFile }).template;
  });

  test('signing keys and write tokens come from the pinned version of the secret', () => {
    const env = serviceFunction(template)[1].Properties.Environment.Variables;
    const arn = 'arn:aws:secretsmanager:eu-central-1:111111111111:secret:image-service/signed-AbCdEf';
    expect(env.IMAGE_SERVICE_SIGNING).toBe('required');
    expect(env.IMAGE_SERVICE_SIGN_ORIGINALS).toBe('true');
    expect(env.IMAGE_SERVICE_SIGNING_KEYS).toBe(`{{resolve:secretsmanager:${arn}:SecretString:signingKeys::${versionId}}}`);
    expect(env.IMAGE_SERVICE_WRITE_TOKENS).toBe(`{{resolve:secretsmanager:${arn}:SecretString:writeTokens::${versionId}}}`);
    expect(env.IMAGE_SERVICE_SECRETS_ID).toBeUndefined();
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

  test('the role still gets no Secrets Manager permission', () => {
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain('secretsmanager');
  });
});

describe('a public listing without any secret', () => {
  const { secretsId: _omit, ...raw } = dev();
  const stagesFile = writeStagesFile({ open: { ...raw, routes: ['list', 'get'], listRequiresToken: false } });
  let template: Template;
  beforeAll(() => {
    template = synth('open', { stagesFile }).template;
  });

  test('tells the Lambda the listing is public and passes no secret', () => {
    const env = serviceFunction(template)[1].Properties.Environment.Variables;
    expect(env.IMAGE_SERVICE_LIST_REQUIRES_TOKEN).toBe('false');
    expect(env.IMAGE_SERVICE_WRITE_TOKENS).toBeUndefined();
    expect(JSON.stringify(template.toJSON())).not.toContain('resolve:secretsmanager');
  });

  test('gets no preflight on / (a public listing is a simple GET) and no Authorization at the edge', () => {
    expect(resourcesOf(template, 'AWS::ApiGateway::Method').map(([, m]) => m.Properties.HttpMethod).sort()).toEqual(['GET', 'GET', 'HEAD']);
    template.resourceCountIs('AWS::CloudFront::Function', 0);
  });

  test('still keeps the listing out of the edge cache', () => {
    const [, dist] = resourcesOf(template, 'AWS::CloudFront::Distribution')[0];
    expect(dist.Properties.DistributionConfig.CacheBehaviors).toEqual([
      expect.objectContaining({ PathPattern: '/', CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad' }),
    ]);
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
        ParametersInCacheKeyAndForwardedToOrigin: Match.objectLike({ HeadersConfig: { HeaderBehavior: 'whitelist', Headers: ['Authorization'] } }),
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

describe('the cargo-lambda build path (RustFunction, bundling skipped)', () => {
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
    expect(() => synth('dev', { lambdaAsset: empty })).toThrow(/has no 'bootstrap' file \(build it with: cargo lambda build --release --arm64 --bin image-service-lambda\)/);
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
