import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, loadStage, parseStage, ROUTES } from '../lib/config';
import { checkedInStages, writeStagesFile } from './helpers';

const base = (): Record<string, any> => structuredClone(checkedInStages().dev);

function problems(raw: unknown): string {
  try {
    parseStage('t', raw);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected the settings to be rejected');
}

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
    for (const group of ['lambda', 'limits', 'cache', 'bucket', 'accessLogs', 'api', 'cloudfront', 'alarms'] as const) {
      expect(Object.keys(example[group]).sort()).toEqual(Object.keys(settings[group]).sort());
    }
  });
});

describe('validation', () => {
  test('defaults fill optional fields', () => {
    const minimal = {
      account: '123456789012',
      region: 'eu-west-1',
      domainName: 'img.example.org',
      certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc-123',
    };
    const s = parseStage('mini', minimal);
    expect(s.routes).toEqual([...ROUTES]);
    expect(s.cache.defaultTtlSeconds).toBe(2592000);
    expect(s.cache.browserMaxAgeSeconds).toBe(2592000);
    expect(s.lambda.timeoutSeconds).toBe(29);
    expect(s.bucket).toEqual({ retain: true, publicRead: false, name: undefined });
    expect(s.corsOrigins).toEqual([]);
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
    expect(problems(raw)).toMatch(/lambda\.timeoutSeconds: must be between 1 and 29, got 30/);
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

  test('CORS origins are scheme://host[:port] without wildcard or path', () => {
    expect(problems({ ...base(), corsOrigins: ['*'] })).toMatch(/"\*" is not an origin/);
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

  test('every problem is reported at once', () => {
    const msg = problems({ ...base(), account: 'x', domainName: 'X', logRetentionDays: 2 });
    expect(msg.split('\n  - ')).toHaveLength(4);
  });
});
