// Edge delivery in the template: the bucket origins (OAC, no behaviour of their own), the
// results bucket, the viewer function's settings, the signing KeyValueStore, Origin Shield,
// the edge salt, and the stage settings that drive them.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { parseStage } from '../lib/config';
import { BUILT_IN_PRESETS, EDGE_CSP, edgeSalt, envFlag, PIPELINE_RS, renderVersion, saltFiles } from '../lib/edge';
import { checkedInStages, only, problems, resourcesOf, serviceFunction, synth, writeStagesFile } from './helpers';

const dev = (): Record<string, any> => structuredClone(checkedInStages().dev);

const configOf = (t: Template) => JSON.parse(/^const CONFIG = (.*);$/m.exec(only(t, 'AWS::CloudFront::Function')[1].Properties.FunctionCode)![1]);
const distConfig = (t: Template) => only(t, 'AWS::CloudFront::Distribution')[1].Properties.DistributionConfig;
const bucketIdByRule = (t: Template, rule: string) => resourcesOf(t, 'AWS::S3::Bucket')
  .find(([, b]) => (b.Properties.LifecycleConfiguration?.Rules ?? []).some((r: any) => r.Id === rule))?.[0];

describe('a stage serving from S3 with signed URLs and Origin Shield', () => {
  const stagesFile = writeStagesFile({
    edge: {
      ...dev(),
      edge: { serveFromS3: true },
      resultCache: { expireDays: 7 },
      signing: { mode: 'required' },
      cloudfront: { priceClass: 'PriceClass_100', originShieldRegion: 'eu-central-1' },
    },
  });
  let t: Template;
  beforeAll(() => {
    t = synth('edge', { stagesFile }).template;
  });

  test('origins: the API (behaviours), originals and results buckets through one OAC, no behaviour targets a bucket', () => {
    const d = distConfig(t);
    expect(d.Origins.map((o: any) => o.Id)).toEqual(['api', 'originals', 'results']);
    const [oacId, oac] = only(t, 'AWS::CloudFront::OriginAccessControl');
    expect(oac.Properties.OriginAccessControlConfig).toMatchObject({ OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' });
    const results = bucketIdByRule(t, 'expire-results')!;
    const originals = resourcesOf(t, 'AWS::S3::Bucket').find(([, b]) => b.Properties.VersioningConfiguration)![0];
    expect(d.Origins[1]).toMatchObject({ OriginAccessControlId: { 'Fn::GetAtt': [oacId, 'Id'] }, S3OriginConfig: { OriginAccessIdentity: '' } });
    expect(d.Origins[1].DomainName).toEqual({ 'Fn::GetAtt': [originals, 'RegionalDomainName'] });
    expect(d.Origins[2].DomainName).toEqual({ 'Fn::GetAtt': [results, 'RegionalDomainName'] });
    const targets = [d.DefaultCacheBehavior, ...(d.CacheBehaviors ?? [])].map((b: any) => b.TargetOriginId);
    expect(new Set(targets)).toEqual(new Set(['api']));
    expect(d.OriginGroups).toBeUndefined();
    // Writes stay possible on the default behaviour: the function builds the origin groups.
    expect(d.DefaultCacheBehavior.AllowedMethods).toContain('POST');
  });

  test('bucket policies let only this distribution read objects (AWS:SourceArn), and nothing else', () => {
    const [distId] = only(t, 'AWS::CloudFront::Distribution');
    for (const bucket of [bucketIdByRule(t, 'expire-results')!, resourcesOf(t, 'AWS::S3::Bucket').find(([, b]) => b.Properties.VersioningConfiguration)![0]]) {
      const [, policy] = resourcesOf(t, 'AWS::S3::BucketPolicy').find(([, p]) => p.Properties.Bucket.Ref === bucket)!;
      const grants = policy.Properties.PolicyDocument.Statement.filter((st: any) => st.Effect === 'Allow' && st.Principal?.Service === 'cloudfront.amazonaws.com');
      expect(grants).toHaveLength(1);
      expect(grants[0].Action).toBe('s3:GetObject');
      expect(JSON.stringify(grants[0].Resource)).toContain(bucket);
      const arn = JSON.stringify(grants[0].Condition.StringEquals['AWS:SourceArn']);
      expect(arn).toContain(':cloudfront::');
      expect(arn).toContain(distId);
    }
  });

  test('Origin Shield on every origin', () => {
    for (const o of distConfig(t).Origins) expect([o.Id, o.OriginShield]).toEqual([o.Id, { Enabled: true, OriginShieldRegion: 'eu-central-1' }]);
  });

  test('results bucket: private, encrypted, TLS-only, expiring after resultCache.expireDays, emptied on destroy', () => {
    const id = bucketIdByRule(t, 'expire-results')!;
    const b = t.toJSON().Resources[id];
    expect(b.Properties.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(b.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
    expect(b.Properties.LifecycleConfiguration.Rules).toEqual(expect.arrayContaining([
      expect.objectContaining({ Id: 'expire-results', Status: 'Enabled', ExpirationInDays: 7 }),
    ]));
    const [, policy] = resourcesOf(t, 'AWS::S3::BucketPolicy').find(([, p]) => p.Properties.Bucket.Ref === id)!;
    expect(policy.Properties.PolicyDocument.Statement).toEqual(expect.arrayContaining([
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    ]));
    expect(resourcesOf(t, 'Custom::S3AutoDeleteObjects').some(([, r]) => r.Properties.BucketName.Ref === id)).toBe(true);
  });

  test('the Lambda gets the result store, the salt, and rights on the results bucket', () => {
    const env = serviceFunction(t)[1].Properties.Environment.Variables;
    const id = bucketIdByRule(t, 'expire-results')!;
    expect(env.IMAGE_SERVICE_RESULT_CACHE).toEqual({ 'Fn::Join': ['', ['s3://', { Ref: id }]] });
    expect(env.IMAGE_SERVICE_EDGE_SALT).toMatch(new RegExp(`^r${renderVersion()}-[0-9a-f]{12}$`));
    const statements: any[] = Object.values<any>(t.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements.find((st) => st.Sid === 'ResultsObjects').Action.sort()).toEqual(['s3:DeleteObject', 's3:GetObject', 's3:PutObject']);
    expect(statements.find((st) => st.Sid === 'ResultsList').Resource).toEqual({ 'Fn::GetAtt': [id, 'Arn'] });
  });

  test('the viewer function: settings, the same salt as the Lambda, the signing KeyValueStore', () => {
    const env = serviceFunction(t)[1].Properties.Environment.Variables;
    expect(configOf(t)).toEqual({
      writes: true, originals: true, results: true, signing: true, presetsOnly: false, autoFormat: false, salt: env.IMAGE_SERVICE_EDGE_SALT,
      api: 'api', originalsOrigin: 'originals', resultsOrigin: 'results', failover: [403, 404],
    });
    const [kvsId] = only(t, 'AWS::CloudFront::KeyValueStore');
    const [, fn] = only(t, 'AWS::CloudFront::Function');
    expect(fn.Properties.FunctionConfig.Runtime).toBe('cloudfront-js-2.0');
    expect(fn.Properties.FunctionConfig.KeyValueStoreAssociations).toEqual([{ KeyValueStoreARN: { 'Fn::GetAtt': [kvsId, 'Arn'] } }]);
    expect(only(t, 'AWS::CloudFront::KeyValueStore')[1].Properties.ImportSource).toBeUndefined();
    expect(t.toJSON().Outputs.SigningKeysStoreArn.Value).toEqual({ 'Fn::GetAtt': [kvsId, 'Arn'] });
  });

  test('cache key: query strings, Authorization (writes), Origin (per-origin CORS) and x-image-accept only', () => {
    const [, policy] = only(t, 'AWS::CloudFront::CachePolicy');
    const p = policy.Properties.CachePolicyConfig.ParametersInCacheKeyAndForwardedToOrigin;
    expect(p.QueryStringsConfig).toEqual({ QueryStringBehavior: 'all' });
    expect(p.HeadersConfig).toEqual({ HeaderBehavior: 'whitelist', Headers: ['Authorization', 'Origin', 'x-image-accept'] });
    // The origin request policy forwards every viewer header but Host: x-image-accept and
    // x-image-edge-path (set by the function) reach the Lambda on a failover.
    expect(distConfig(t).DefaultCacheBehavior.OriginRequestPolicyId).toBe('b689b0a8-53d0-40ab-baf2-68738e2966ac');
  });
});

describe('headers on answers from S3', () => {
  test('edge stages: nosniff and a CSP that runs nothing; with CORS origins the Lambda\'s CORS rule, never overriding it', () => {
    const file = writeStagesFile({ e: { ...dev(), edge: { serveFromS3: true } }, n: { ...dev(), edge: { serveFromS3: true }, corsOrigins: [] } });
    const t = synth('e', { stagesFile: file }).template;
    const [policyId, policy] = only(t, 'AWS::CloudFront::ResponseHeadersPolicy');
    const config = policy.Properties.ResponseHeadersPolicyConfig;
    expect(config.SecurityHeadersConfig).toEqual({
      ContentTypeOptions: { Override: true },
      ContentSecurityPolicy: { ContentSecurityPolicy: EDGE_CSP, Override: false },
    });
    expect(EDGE_CSP).toMatch(/default-src 'none'.*sandbox/);
    const cors = config.CorsConfig;
    expect(cors.AccessControlAllowOrigins.Items).toEqual(dev().corsOrigins);
    expect(cors.OriginOverride).toBe(false);
    expect(cors.AccessControlAllowCredentials).toBe(false);
    expect(cors.AccessControlAllowMethods.Items.sort()).toEqual(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST']);
    expect(cors.AccessControlExposeHeaders.Items).toContain('ETag');
    expect(distConfig(t).DefaultCacheBehavior.ResponseHeadersPolicyId).toEqual({ Ref: policyId });
    // Without CORS origins: the security headers only.
    const n = only(synth('n', { stagesFile: file }).template, 'AWS::CloudFront::ResponseHeadersPolicy')[1];
    expect(n.Properties.ResponseHeadersPolicyConfig.CorsConfig).toBeUndefined();
    // Null model: without edge serving the Lambda's own headers are all there is.
    const off = synth('dev').template;
    off.resourceCountIs('AWS::CloudFront::ResponseHeadersPolicy', 0);
    expect(distConfig(off).DefaultCacheBehavior.ResponseHeadersPolicyId).toBeUndefined();
  });
});

describe('edge serving variants', () => {
  test('signed originals: originals stay with the Lambda (no originals origin, no grant), results still at the edge', () => {
    const file = writeStagesFile({ so: { ...dev(), edge: { serveFromS3: true }, signing: { mode: 'required', originals: true } } });
    const t = synth('so', { stagesFile: file }).template;
    expect(distConfig(t).Origins.map((o: any) => o.Id)).toEqual(['api', 'results']);
    expect(configOf(t)).toMatchObject({ originals: false, results: true, signing: true });
    const originals = resourcesOf(t, 'AWS::S3::Bucket').find(([, b]) => b.Properties.VersioningConfiguration)![0];
    const policy = resourcesOf(t, 'AWS::S3::BucketPolicy').find(([, p]) => p.Properties.Bucket.Ref === originals)![1];
    expect(JSON.stringify(policy)).not.toContain('cloudfront.amazonaws.com');
  });

  test('result cache off: no results bucket, IMAGE_SERVICE_RESULT_CACHE=off, only originals at the edge, no KeyValueStore', () => {
    const file = writeStagesFile({ rc: { ...dev(), edge: { serveFromS3: true }, resultCache: { enabled: false }, signing: { mode: 'required' } } });
    const t = synth('rc', { stagesFile: file }).template;
    expect(bucketIdByRule(t, 'expire-results')).toBeUndefined();
    expect(serviceFunction(t)[1].Properties.Environment.Variables.IMAGE_SERVICE_RESULT_CACHE).toBe('off');
    expect(distConfig(t).Origins.map((o: any) => o.Id)).toEqual(['api', 'originals']);
    expect(configOf(t)).toMatchObject({ originals: true, results: false });
    t.resourceCountIs('AWS::CloudFront::KeyValueStore', 0);
  });

  test('edge serving off (dev): the results bucket exists for the Lambda, CloudFront only knows the API', () => {
    const t = synth('dev').template;
    expect(bucketIdByRule(t, 'expire-results')).toBeDefined();
    expect(distConfig(t).Origins.map((o: any) => o.Id)).toEqual(['api']);
    expect(distConfig(t).Origins[0].OriginShield).toBeUndefined();
    expect(configOf(t)).toMatchObject({ originals: false, results: false });
    t.resourceCountIs('AWS::CloudFront::OriginAccessControl', 0);
    t.resourceCountIs('AWS::CloudFront::KeyValueStore', 0);
  });
});

describe('settings', () => {
  test('edge, resultCache and originShieldRegion are validated with messages naming them', () => {
    expect(problems({ ...dev(), edge: { serveFromS3: 'yes' } })).toMatch(/edge\.serveFromS3: must be true or false/);
    expect(problems({ ...dev(), edge: { serve: true } })).toMatch(/edge\.serve: unknown setting/);
    expect(problems({ ...dev(), resultCache: { expireDays: 0 } })).toMatch(/resultCache\.expireDays: must be between 1 and 3650, got 0/);
    expect(problems({ ...dev(), cloudfront: { originShieldRegion: 'Frankfurt' } })).toMatch(/cloudfront\.originShieldRegion: must be an AWS region/);
    expect(problems({ ...dev(), edge: { serveFromS3: true }, resultCache: { enabled: false }, signing: { mode: 'required', originals: true } }))
      .toMatch(/edge: serveFromS3=true would serve nothing/);
    // Null model: the same settings with the result cache on are accepted.
    expect(() => parseStage('t', { ...dev(), edge: { serveFromS3: true }, signing: { mode: 'required', originals: true } })).not.toThrow();
  });
});

test('the function follows the Lambda\'s boolean variables as the service parses them', () => {
  for (const v of ['1', 'true', 'TRUE', ' yes ', 'on']) expect([v, envFlag({ X: v }, 'X')]).toEqual([v, true]);
  for (const v of ['0', 'false', 'off', '', 'enabled']) expect([v, envFlag({ X: v }, 'X')]).toEqual([v, false]);
  expect(envFlag({}, 'X')).toBe(false);
});

describe('edge salt', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-salt-'));
  const mark = path.join(dir, 'logo.png');
  const presets = path.join(dir, 'presets.json');
  fs.writeFileSync(mark, 'mark-1');
  fs.writeFileSync(presets, '{"thumb":"w=100"}');
  const env = { IMAGE_SERVICE_MAX_OUTPUT_DIMENSION: '16384', RUST_LOG: 'info' };
  const base = edgeSalt(4, env, [mark, presets]);

  test('is r<render version>-<12 hex>, stable, and independent of file order', () => {
    expect(base).toMatch(/^r4-[0-9a-f]{12}$/);
    expect(edgeSalt(4, { ...env }, [presets, mark])).toBe(base);
  });

  test('changes with the render version, an environment variable, the presets or a watermark', () => {
    expect(edgeSalt(5, env, [mark, presets])).not.toBe(base);
    expect(edgeSalt(4, { ...env, IMAGE_SERVICE_MAX_OUTPUT_DIMENSION: '8192' }, [mark, presets])).not.toBe(base);
    expect(edgeSalt(4, { ...env, IMAGE_SERVICE_WATERMARK: 'logo.png' }, [mark, presets])).not.toBe(base);
    fs.writeFileSync(presets, '{"thumb":"w=120"}');
    expect(edgeSalt(4, env, [mark, presets])).not.toBe(base);
    fs.writeFileSync(presets, '{"thumb":"w=100"}');
    fs.writeFileSync(mark, 'mark-2');
    expect(edgeSalt(4, env, [mark, presets])).not.toBe(base);
    fs.writeFileSync(mark, 'mark-1');
    expect(edgeSalt(4, env, [mark, presets])).toBe(base);
  });

  test('leaves out the salt itself and the result store (they change no bytes)', () => {
    expect(edgeSalt(4, { ...env, IMAGE_SERVICE_EDGE_SALT: 'x', IMAGE_SERVICE_RESULT_CACHE: 'off' }, [mark, presets])).toBe(base);
  });

  test('the render version comes from handler/src/pipeline.rs', () => {
    const text = fs.readFileSync(PIPELINE_RS, 'utf8');
    const declared = Number(/pub const RENDER_VERSION: u32 = (\d+);/.exec(text)![1]);
    expect(renderVersion()).toBe(declared);
    const other = path.join(dir, 'pipeline.rs');
    fs.writeFileSync(other, text.replace(/RENDER_VERSION: u32 = \d+;/, 'RENDER_VERSION: u32 = 77;'));
    expect(renderVersion(other)).toBe(77);
    fs.writeFileSync(other, 'pub const RENDER: u32 = 1;');
    expect(() => renderVersion(other)).toThrow(/no "pub const RENDER_VERSION/);
  });

  test('its files: the watermarks, the built-in presets file when the repository has one, the stage\'s own', () => {
    const marks = fs.mkdtempSync(path.join(os.tmpdir(), 'salt-marks-'));
    fs.writeFileSync(path.join(marks, 'b.png'), 'b');
    fs.writeFileSync(path.join(marks, 'a.png'), 'a');
    expect(saltFiles(marks, ['/x/presets.json'], presets)).toEqual([path.join(marks, 'a.png'), path.join(marks, 'b.png'), presets, '/x/presets.json']);
    expect(saltFiles(marks, [], path.join(dir, 'none.json'))).toEqual([path.join(marks, 'a.png'), path.join(marks, 'b.png')]);
    expect(BUILT_IN_PRESETS).toBe(path.join(__dirname, '..', '..', 'handler', 'presets.json'));
  });

  test('a changed watermark in the package changes the salt of the synthesized stage', () => {
    const salt = (t: Template) => serviceFunction(t)[1].Properties.Environment.Variables.IMAGE_SERVICE_EDGE_SALT;
    const marks = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-marks-'));
    fs.writeFileSync(path.join(marks, 'logo.png'), 'one');
    const one = salt(synth('dev', { watermarksDir: marks }).template);
    fs.writeFileSync(path.join(marks, 'logo.png'), 'two');
    const two = salt(synth('dev', { watermarksDir: marks }).template);
    expect(one).not.toBe(two);
  });
});
