import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseStage } from '../lib/config';
import { CONSOLE_PATH_PATTERNS } from '../lib/image-service-stack';
import { checkedInStages, only, problems, serviceFunction, synth, writeStagesFile } from './helpers';

const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const ALL_VIEWER_EXCEPT_HOST_HEADER = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';
const dev = (): Record<string, any> => structuredClone(checkedInStages().dev);

describe('console stage setting', () => {
  test('off unless a stage switches it on', () => {
    expect(parseStage('t', dev()).console).toBe(false);
    expect(parseStage('t', { ...dev(), console: true }).console).toBe(true);
  });

  test('bad values and stages it cannot work on are named', () => {
    expect(problems({ ...dev(), console: 'on' })).toMatch(/console: must be true or false/);
    expect(problems({ ...dev(), console: true, routes: ['list', 'get'] })).toMatch(/console: needs the get and upload routes/);
    expect(problems({ ...dev(), console: true, routes: ['list', 'upload'] })).toMatch(/console: needs the get and upload routes/);
  });

  test('the example keeps it off on its production-like stage, and says why', () => {
    const example = fs.readFileSync(path.join(__dirname, '..', 'config', 'stages.example.jsonc'), 'utf8');
    expect(example).toMatch(/^\s*"console": false,?$/m);
    expect(example).toMatch(/\/_\/console/);
    expect(checkedInStages().prod.console ?? false).toBe(false);
  });
});

describe('a stage with the console', () => {
  // The same stage (name, settings) with and without the console.
  const on = synth('dev', { stagesFile: writeStagesFile({ dev: { ...dev(), console: true } }) });
  const off = synth('dev', { stagesFile: writeStagesFile({ dev: dev() }) });
  const distribution = (t: typeof on.template) => only(t, 'AWS::CloudFront::Distribution')[1].Properties.DistributionConfig;

  test('the Lambda gets IMAGE_SERVICE_CONSOLE=on (off without the setting)', () => {
    expect(serviceFunction(on.template)[1].Properties.Environment.Variables.IMAGE_SERVICE_CONSOLE).toBe('on');
    expect(serviceFunction(off.template)[1].Properties.Environment.Variables.IMAGE_SERVICE_CONSOLE).toBe('off');
  });

  test('CloudFront never caches the console or its key table', () => {
    const behaviors: any[] = distribution(on.template).CacheBehaviors;
    const api = distribution(on.template).DefaultCacheBehavior.TargetOriginId;
    expect(CONSOLE_PATH_PATTERNS).toEqual(['/_/console*', '/_/params']);
    for (const pattern of CONSOLE_PATH_PATTERNS) {
      expect(behaviors.find((b) => b.PathPattern === pattern)).toMatchObject({
        AllowedMethods: ['GET', 'HEAD'],
        CachePolicyId: CACHING_DISABLED,
        OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_HEADER,
        TargetOriginId: api,
        ViewerProtocolPolicy: 'redirect-to-https',
      });
    }
    // Without the setting: no console behaviours, only the listing's.
    const plain: any[] = distribution(off.template).CacheBehaviors ?? [];
    expect(plain.map((b) => b.PathPattern)).toEqual(['/']);
    // POST /_/sign reaches the Lambda through the default behaviour, which allows POST.
    expect(distribution(on.template).DefaultCacheBehavior.AllowedMethods).toContain('POST');
  });

  test('switching it changes no edge key: the salt is the same', () => {
    const salt = (t: typeof on.template) => serviceFunction(t)[1].Properties.Environment.Variables.IMAGE_SERVICE_EDGE_SALT;
    expect(salt(on.template)).toBe(salt(off.template));
    expect(salt(on.template)).toMatch(/^r\d+-[0-9a-f]{12}$/);
  });
});
