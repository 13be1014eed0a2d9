import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  functionTimeoutSeconds, loadStage, MIN_LAMBDA_TIMEOUT_SECONDS, parseStage, processingDeadlineMs, ROUTES,
} from '../lib/config';
import { checkedInStages, problems, writeStagesFile } from './helpers';

const base = (): Record<string, any> => structuredClone(checkedInStages().dev);

describe('stage selection', () => {
  const file = writeStagesFile({ alpha: base(), beta: base() });

  test('a missing stage is an error naming the valid ones', () => {
    expect(() => loadStage(undefined, file)).toThrow(/No stage selected: pass -c stage=<name> \(valid stages in stages\.json: alpha, beta\)/);
  });

  test('an unknown stage is an error naming the valid ones', () => {
    expect(() => loadStage('gamma', file)).toThrow(/Unknown stage "gamma" \(valid stages in stages\.json: alpha, beta\)/);
  });

  test('a known stage loads with its name', () => {
    expect(loadStage('beta', file).name).toBe('beta');
  });

  test('a file that is not JSON is reported as such', () => {
    const bad = path.join(path.dirname(file), 'broken.json');
    fs.writeFileSync(bad, '{ "stages": ');
    expect(() => loadStage('alpha', bad)).toThrow(/is not valid JSON/);
  });
});

describe('checked-in settings', () => {
  test.each(Object.keys(checkedInStages()))('%s is valid', (stage) => {
    expect(() => loadStage(stage)).not.toThrow();
  });

  test('prod retains its bucket, the other stages empty and delete theirs', () => {
    expect(loadStage('prod').bucket.retain).toBe(true);
    expect(loadStage('dev').bucket.retain).toBe(false);
    expect(loadStage('staging').bucket.retain).toBe(false);
  });

  test('no checked-in stage opts into a public bucket', () => {
    for (const stage of Object.keys(checkedInStages())) expect(loadStage(stage).bucket.publicRead).toBe(false);
  });

  test('the example file documents every field and is itself valid', () => {
    const text = fs.readFileSync(path.join(__dirname, '..', 'config', 'stages.example.jsonc'), 'utf8');
    // Strip // comments (none of the example's strings contain //).
    const json = JSON.parse(text.replace(/^\s*\/\/.*$/gm, '').replace(/\s\/\/ .*$/gm, ''));
    const stages = Object.keys(json.stages);
    expect(stages).toHaveLength(1);
    const example = json.stages[stages[0]];
    const settings = parseStage(stages[0], example);
    // Every optional field appears in the example, so each one is documented there.
    expect(Object.keys(example).sort()).toEqual(Object.keys(settings).filter((k) => k !== 'name').sort());
    // Settings that exclude each other are documented as a commented-out line (// "key": ...).
    const commentedOut = [...text.matchAll(/^\s*\/\/ "(\w+)":/gm)].map((m) => m[1]);
    for (const group of ['lambda', 'limits', 'cache', 'bucket', 'accessLogs', 'api', 'cloudfront', 'edge', 'resultCache', 'alarms', 'signing'] as const) {
      const documented = [...new Set([...Object.keys(example[group]), ...commentedOut.filter((k) => k in settings[group])])];
      expect(documented.sort()).toEqual(Object.keys(settings[group]).sort());
    }
    expect(Object.keys(example.cloudfront.waf).sort()).toEqual(Object.keys(settings.cloudfront.waf).sort());
  });
});

describe('validation', () => {
  test('defaults fill optional fields', () => {
    const minimal = {
      account: '123456789012',
      region: 'eu-west-1',
      domainName: 'img.example.org',
      certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc-123',
      secretsId: 'image-service/mini',
    };
    const s = parseStage('mini', minimal);
    expect(s.routes).toEqual([...ROUTES]);
    expect(s.cache.defaultTtlSeconds).toBe(2592000);
    expect(s.cache.browserMaxAgeSeconds).toBe(2592000);
    expect(s.lambda.timeoutSeconds).toBe(29);
    expect(s.bucket).toEqual({ retain: true, publicRead: false, name: undefined, noncurrentVersionDays: 30 });
    expect(s.lambda.reservedConcurrency).toBe(100);
    expect(s.accessLogs).toEqual({ api: false, cloudfront: false, s3: false, retentionDays: 90, createApiGatewayCloudWatchRole: false });
    expect(s.tracing).toBe(false);
    expect(s.cloudfront).toEqual({ priceClass: 'PriceClass_100', webAclArn: undefined, waf: { enabled: false, rateLimit: 2000 }, additionalMetrics: false, originShieldRegion: undefined });
    expect(s.edge).toEqual({ serveFromS3: false });
    expect(s.resultCache).toEqual({ enabled: true, expireDays: 30 });
    expect(s.alarms).toEqual({
      snsTopicArn: undefined, edgeSnsTopicArn: undefined, emails: [],
      lambdaErrorsThreshold: 5, cloudfront5xxRatePercent: 5, errors5xxThreshold: 5, transformLatencyP99Ms: 10000,
    });
    expect(s.secretsTtlSeconds).toBe(300);
    expect(s.corsOrigins).toEqual([]);
    expect(s.signing).toEqual({ mode: 'off', originals: false });
    expect(s.listRequiresToken).toBe(true);
    expect(s.secretsVersionId).toBeUndefined();
    expect(s.limits).toEqual({
      maxUploadBytes: 4194304,
      maxInputPixels: 50_000_000,
      maxInputBytes: 33554432,
      maxInputFrames: 500,
      maxOutputBytes: 199_000_000,
      maxOutputDimension: 16384,
      maxOperations: 16,
    });
  });

  test('the CloudFront certificate must be in us-east-1', () => {
    const raw = { ...base(), certificateArn: 'arn:aws:acm:eu-central-1:111111111111:certificate/0000' };
    expect(problems(raw)).toMatch(/certificateArn: CloudFront only accepts ACM certificates from us-east-1, but this one is in eu-central-1/);
  });

  test('the certificate must be an ACM ARN', () => {
    expect(problems({ ...base(), certificateArn: 'my-cert' })).toMatch(/certificateArn: must be an ACM certificate ARN/);
  });

  test.each([
    'https://images.example.com',
    'images.example.com/',
    'Images.Example.com',
    'images.example.com:443',
    'localhost',
    '-bad.example.com',
  ])('the domain must be a hostname: %s is rejected', (domainName) => {
    expect(problems({ ...base(), domainName })).toMatch(/domainName: must be a lower-case hostname/);
  });

  test('account ids have 12 digits and regions look like regions', () => {
    const msg = problems({ ...base(), account: '1234', region: 'Europe' });
    expect(msg).toMatch(/account: must be a 12-digit AWS account id/);
    expect(msg).toMatch(/region: must be an AWS region/);
  });

  test('the Lambda timeout cannot exceed API Gateway\'s 29 s', () => {
    const raw = base();
    raw.lambda = { ...raw.lambda, timeoutSeconds: 30 };
    expect(problems(raw)).toMatch(/lambda\.timeoutSeconds: must be between 2 and 29, got 30/);
  });

  test('the processing deadline sits 1.5 s below the timeout, at least 1 s, always below it', () => {
    expect(processingDeadlineMs(29)).toBe(27500);
    expect(processingDeadlineMs(10)).toBe(8500);
    expect(processingDeadlineMs(2)).toBe(1000);
    for (let t = MIN_LAMBDA_TIMEOUT_SECONDS; t <= 29; t++) {
      expect(processingDeadlineMs(t)).toBeGreaterThanOrEqual(1000);
      expect(processingDeadlineMs(t)).toBeLessThan(t * 1000);
    }
    const raw = base();
    raw.lambda = { ...raw.lambda, timeoutSeconds: 1 };
    expect(problems(raw)).toMatch(/lambda\.timeoutSeconds: must be between 2 and 29, got 1/);
  });

  test('memory must be a Lambda memory size', () => {
    const raw = base();
    raw.lambda = { ...raw.lambda, memoryMb: 64 };
    expect(problems(raw)).toMatch(/lambda\.memoryMb: must be between 128 and 10240/);
  });

  test('uploads cannot exceed API Gateway\'s 10 MB payload', () => {
    const raw = base();
    raw.limits = { ...raw.limits, maxUploadBytes: 20 * 1024 * 1024 };
    expect(problems(raw)).toMatch(/limits\.maxUploadBytes: must be between 1 and 10485760/);
  });

  test('routes must be known, unique and not empty', () => {
    expect(problems({ ...base(), routes: ['get', 'resize'] })).toMatch(/unknown route "resize"; valid routes: list, get, upload, delete/);
    expect(problems({ ...base(), routes: ['get', 'get'] })).toMatch(/route "get" listed twice/);
    expect(problems({ ...base(), routes: [] })).toMatch(/routes: enable at least one route/);
  });

  test('CORS origins are scheme://host[:port] without path, or "*" alone', () => {
    expect(parseStage('t', { ...base(), corsOrigins: ['*'] }).corsOrigins).toEqual(['*']);
    expect(problems({ ...base(), corsOrigins: ['*', 'https://cms.example.com'] })).toMatch(/corsOrigins: "\*" \(any origin\) must be the only entry/);
    expect(problems({ ...base(), corsOrigins: ['*.example.com'] })).toMatch(/is not an origin/);
    expect(problems({ ...base(), corsOrigins: ['https://cms.example.com/'] })).toMatch(/is not an origin/);
    expect(problems({ ...base(), corsOrigins: ['cms.example.com'] })).toMatch(/is not an origin/);
    expect(parseStage('t', { ...base(), corsOrigins: ['http://localhost:3000'] }).corsOrigins).toEqual(['http://localhost:3000']);
  });

  test('log retention must be a CloudWatch retention period', () => {
    expect(problems({ ...base(), logRetentionDays: 10 })).toMatch(/logRetentionDays: CloudWatch accepts only 1, 3, 5, 7, 14/);
  });

  test('cache TTLs must be ordered min <= default <= max', () => {
    const raw = base();
    raw.cache = { ...raw.cache, minTtlSeconds: 100, defaultTtlSeconds: 10 };
    expect(problems(raw)).toMatch(/cache: needs minTtlSeconds <= defaultTtlSeconds <= maxTtlSeconds/);
  });

  test('alarm topics must be in the region of their alarms', () => {
    const raw = base();
    raw.alarms = { ...raw.alarms, snsTopicArn: 'arn:aws:sns:us-west-2:111111111111:t', edgeSnsTopicArn: 'arn:aws:sns:eu-central-1:111111111111:t' };
    const msg = problems(raw);
    expect(msg).toMatch(/snsTopicArn must be in the stage region eu-central-1/);
    expect(msg).toMatch(/edgeSnsTopicArn must be in us-east-1/);
  });

  test('a WAF web ACL must have CLOUDFRONT scope', () => {
    const raw = base();
    raw.cloudfront = { webAclArn: 'arn:aws:wafv2:eu-central-1:111111111111:regional/webacl/x/0000' };
    expect(problems(raw)).toMatch(/cloudfront\.webAclArn: must be a WAFv2 web ACL ARN with CLOUDFRONT scope/);
  });

  test('unknown keys (typos) are rejected, wrong types are named', () => {
    const raw = { ...base(), domian: 'x', bucket: { retain: 'yes' } };
    const msg = problems(raw);
    expect(msg).toMatch(/stages\.t\.domian: unknown setting/);
    expect(msg).toMatch(/stages\.t\.bucket\.retain: must be true or false, got "yes"/);
  });

  test('the output limit cannot exceed what a streamed Lambda response carries (199000000 bytes)', () => {
    const raw = base();
    raw.limits = { ...raw.limits, maxOutputBytes: 200_000_000 };
    expect(problems(raw)).toMatch(/limits\.maxOutputBytes: must be between 1 and 199000000, got 200000000/);
    raw.limits = { ...raw.limits, maxOutputBytes: 199_000_000 };
    expect(parseStage('t', raw).limits.maxOutputBytes).toBe(199_000_000);
  });

  test('the function timeout adds the time to stream the largest body at 2 MB/s past 6 MB', () => {
    expect(functionTimeoutSeconds(29, 199_000_000)).toBe(29 + 97 + 2);
    expect(functionTimeoutSeconds(29, 4_500_000)).toBe(29 + 2); // within the uncapped 6 MB
    expect(functionTimeoutSeconds(10, 6_000_001)).toBe(10 + 1 + 2);
  });

  test('processing limits are range-checked and named', () => {
    const raw = base();
    raw.limits = { ...raw.limits, maxOutputDimension: 65536, maxOperations: 0, maxInputFrames: 0, maxInputBytes: -1 };
    const msg = problems(raw);
    expect(msg).toMatch(/limits\.maxOutputDimension: must be between 1 and 65535, got 65536/);
    expect(msg).toMatch(/limits\.maxOperations: must be between 1 and 1000, got 0/);
    expect(msg).toMatch(/limits\.maxInputFrames: must be between 1 and 100000, got 0/);
    expect(msg).toMatch(/limits\.maxInputBytes: must be between 1 and \d+, got -1/);
    raw.limits = { maxOutputDimension: 1.5 };
    expect(problems(raw)).toMatch(/limits\.maxOutputDimension: must be an integer, got 1.5/);
  });

  test('secretsId is required for every stage, read-only and public ones too (origin secret)', () => {
    const { secretsId: _omit, ...raw } = base();
    for (const variant of [raw, { ...raw, routes: ['get'] }, { ...raw, routes: ['list', 'get'], listRequiresToken: false }]) {
      expect(problems(variant)).toMatch(/secretsId: is required for every stage: CloudFront sends the secret's "originSecret" field as X-Origin-Verify and the Lambda refuses to start without it.*"image-service\/t"/);
    }
  });

  test('a secret ARN must be in the stage account and region', () => {
    const arn = (region: string, account: string) => `arn:aws:secretsmanager:${region}:${account}:secret:image-service/t-AbCdEf`;
    expect(parseStage('t', { ...base(), secretsId: arn('eu-central-1', '111111111111') }).secretsId).toBe(arn('eu-central-1', '111111111111'));
    expect(problems({ ...base(), secretsId: arn('us-west-2', '111111111111') })).toMatch(/secretsId: must be in the stage account and region \(111111111111, eu-central-1\): the Lambda reads it there; got 111111111111, us-west-2/);
    expect(problems({ ...base(), secretsId: arn('eu-central-1', '999999999999') })).toMatch(/secretsId: must be in the stage account and region/);
  });

  test('secretsTtlSeconds: 0 (never refresh) to one day', () => {
    expect(parseStage('t', { ...base(), secretsTtlSeconds: 0 }).secretsTtlSeconds).toBe(0);
    expect(problems({ ...base(), secretsTtlSeconds: -1 })).toMatch(/secretsTtlSeconds: must be between 0 and 86400, got -1/);
    expect(problems({ ...base(), secretsTtlSeconds: '300' })).toMatch(/secretsTtlSeconds: must be an integer, got "300"/);
  });

  test('signing: mode is off or required; required needs secretsId; originals needs required', () => {
    expect(problems({ ...base(), signing: { mode: 'on' } })).toMatch(/signing\.mode: must be one of off, required, got "on"/);
    expect(problems({ ...base(), signing: { mode: 'required', originals: 'yes' } })).toMatch(/signing\.originals: must be true or false, got "yes"/);
    expect(problems({ ...base(), signing: { mode: 'off', originals: true } })).toMatch(/signing: originals=true has no effect unless mode is "required"/);
    expect(problems({ ...base(), signing: { mode: 'required', orginals: true } })).toMatch(/signing\.orginals: unknown setting/);
    expect(parseStage('t', { ...base(), signing: { mode: 'required', originals: true } }).signing).toEqual({ mode: 'required', originals: true });
  });

  test('listRequiresToken is a boolean', () => {
    expect(problems({ ...base(), listRequiresToken: 'no' })).toMatch(/listRequiresToken: must be true or false, got "no"/);
  });

  test('secretsId and secretsVersionId are validated', () => {
    expect(problems({ ...base(), secretsId: 'has spaces' })).toMatch(/secretsId: must be a Secrets Manager secret name or ARN/);
    expect(problems({ ...base(), secretsVersionId: 'v1' })).toMatch(/secretsVersionId: must be a Secrets Manager version id/);
  });

  test('reserved concurrency: default 100, 1-10000', () => {
    const raw = base();
    raw.lambda = { ...raw.lambda, reservedConcurrency: 0 };
    expect(problems(raw)).toMatch(/lambda\.reservedConcurrency: must be between 1 and 10000, got 0/);
    delete raw.lambda.reservedConcurrency;
    expect(parseStage('t', raw).lambda.reservedConcurrency).toBe(100);
  });

  test('noncurrent versions of originals are kept 1-3650 days', () => {
    const raw = base();
    raw.bucket = { ...raw.bucket, noncurrentVersionDays: 0 };
    expect(problems(raw)).toMatch(/bucket\.noncurrentVersionDays: must be between 1 and 3650, got 0/);
    raw.bucket = { ...raw.bucket, noncurrentVersionDays: 90 };
    expect(parseStage('t', raw).bucket.noncurrentVersionDays).toBe(90);
  });

  test('access logs: api, cloudfront and s3 switches; the old "enabled" is named as replaced', () => {
    expect(problems({ ...base(), accessLogs: { enabled: true } })).toMatch(/accessLogs\.enabled: was split into accessLogs\.api, accessLogs\.cloudfront and accessLogs\.s3/);
    expect(problems({ ...base(), accessLogs: { api: 'yes' } })).toMatch(/accessLogs\.api: must be true or false, got "yes"/);
    expect(problems({ ...base(), accessLogs: { createApiGatewayCloudWatchRole: true } })).toMatch(/accessLogs: createApiGatewayCloudWatchRole=true only matters with api=true/);
    expect(problems({ ...base(), accessLogs: { s3: true, retentionDays: 10 } })).toMatch(/accessLogs: retentionDays must be one of/);
    expect(parseStage('t', { ...base(), accessLogs: { cloudfront: true } }).accessLogs).toEqual({
      api: false, cloudfront: true, s3: false, retentionDays: 90, createApiGatewayCloudWatchRole: false,
    });
  });

  test('tracing is a boolean', () => {
    expect(problems({ ...base(), tracing: 'on' })).toMatch(/tracing: must be true or false, got "on"/);
    expect(parseStage('t', { ...base(), tracing: true }).tracing).toBe(true);
  });

  test('WAF: enabled and rateLimit checked; exclusive with webAclArn', () => {
    const acl = 'arn:aws:wafv2:us-east-1:111111111111:global/webacl/x/00000000-0000-0000-0000-000000000000';
    expect(problems({ ...base(), cloudfront: { webAclArn: acl, waf: { enabled: true } } })).toMatch(/cloudfront: set either webAclArn \(attach an existing web ACL\) or waf\.enabled \(the stack creates one\), not both/);
    expect(problems({ ...base(), cloudfront: { waf: { enabled: true, rateLimit: 5 } } })).toMatch(/cloudfront\.waf\.rateLimit: must be between 10 and 2000000000, got 5/);
    expect(problems({ ...base(), cloudfront: { waf: { enable: true } } })).toMatch(/cloudfront\.waf\.enable: unknown setting/);
    expect(problems({ ...base(), cloudfront: { additionalMetrics: 1 } })).toMatch(/cloudfront\.additionalMetrics: must be true or false, got 1/);
    expect(parseStage('t', { ...base(), cloudfront: { waf: { enabled: true, rateLimit: 500 } } }).cloudfront.waf).toEqual({ enabled: true, rateLimit: 500 });
  });

  test('alarm settings: EMF thresholds in range, e-mails only for topics the stack creates', () => {
    expect(problems({ ...base(), alarms: { errors5xxThreshold: 0 } })).toMatch(/alarms\.errors5xxThreshold: must be between 1 and 1000000, got 0/);
    expect(problems({ ...base(), alarms: { transformLatencyP99Ms: 120000 } })).toMatch(/alarms\.transformLatencyP99Ms: must be between 1 and 60000, got 120000/);
    expect(problems({ ...base(), alarms: { emails: ['ops'] } })).toMatch(/alarms: emails: "ops" is not an e-mail address/);
    const topics = { snsTopicArn: 'arn:aws:sns:eu-central-1:111111111111:a', edgeSnsTopicArn: 'arn:aws:sns:us-east-1:111111111111:a' };
    expect(problems({ ...base(), alarms: { ...topics, emails: ['ops@example.com'] } })).toMatch(/alarms: emails are subscribed to the topics the stack creates/);
    // Only the stage-region topic named: the edge topic is created, so e-mails have somewhere to go.
    expect(parseStage('t', { ...base(), alarms: { snsTopicArn: topics.snsTopicArn, emails: ['ops@example.com'] } }).alarms.emails).toEqual(['ops@example.com']);
  });

  test('every problem is reported at once', () => {
    const msg = problems({ ...base(), account: 'x', domainName: 'X', logRetentionDays: 2 });
    expect(msg.split('\n  - ')).toHaveLength(4);
  });
});
