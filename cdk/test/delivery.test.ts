import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_AVIF_BUDGET_MS, DEFAULT_PRESETS_FILE, parseStage, presetsFileProblem } from '../lib/config';
import { PRESETS_FILE_ON_LAMBDA } from '../lib/lambda-package';
import { checkedInStages, fixtures, problems, serviceFunction, synth, writeStagesFile } from './helpers';

const base = (): Record<string, any> => structuredClone(checkedInStages().dev);

/** Writes `text` as a presets file under the test root; returns its absolute path. */
function presetsFile(name: string, text: string): string {
  const file = path.join(fixtures.root, name);
  fs.writeFileSync(file, text);
  return file;
}

describe('fm=auto, q=auto and preset settings', () => {
  test('defaults: auto off, a 3 s AVIF budget, the repository presets, presets-only off', () => {
    const s = parseStage('t', base());
    expect([s.autoFormat, s.avifBudgetMs, s.presetsFile, s.presetsOnlyUnsigned]).toEqual([false, DEFAULT_AVIF_BUDGET_MS, DEFAULT_PRESETS_FILE, false]);
    expect(s.autoQuality).toBe(false);
    expect(s.metadataGps).toBe(false);
    expect(presetsFileProblem(DEFAULT_PRESETS_FILE)).toBeUndefined();
  });

  test('values are read; presetsFile is relative to the repository root', () => {
    const s = parseStage('t', { ...base(), autoFormat: true, avifBudgetMs: 0, presetsFile: 'handler/presets.json', presetsOnlyUnsigned: true });
    expect([s.autoFormat, s.avifBudgetMs, s.presetsFile, s.presetsOnlyUnsigned]).toEqual([true, 0, DEFAULT_PRESETS_FILE, true]);
    expect(parseStage('t', { ...base(), autoQuality: true }).autoQuality).toBe(true);
    expect(parseStage('t', { ...base(), metadataGps: true }).metadataGps).toBe(true);
  });

  test('bad values are named', () => {
    expect(problems({ ...base(), autoFormat: 'yes' })).toMatch(/autoFormat: must be true or false/);
    expect(problems({ ...base(), autoQuality: 'on' })).toMatch(/autoQuality: must be true or false/);
    expect(problems({ ...base(), metadataGps: 'yes' })).toMatch(/metadataGps: must be true or false/);
    expect(problems({ ...base(), presetsOnlyUnsigned: 1 })).toMatch(/presetsOnlyUnsigned: must be true or false/);
    expect(problems({ ...base(), avifBudgetMs: -1 })).toMatch(/avifBudgetMs: must be between 0 and 600000, got -1/);
    expect(problems({ ...base(), presetsFile: '/nonexistent/presets.json' })).toMatch(/presetsFile: \/nonexistent\/presets\.json does not exist/);
  });

  test('a presets file that is not shaped right is refused at synth, naming the preset', () => {
    const cases: [string, RegExp][] = [
      ['{"thumb": ', /is not JSON/],
      ['["w=1"]', /must be a JSON object of preset name to query string/],
      ['{"bad name": "w=1"}', /preset name "bad name" must be 1-64 of A-Z a-z 0-9 _ -/],
      ['{"thumb": 200}', /preset 'thumb' must be a non-empty query string/],
      ['{"loop": "w=1&preset=thumb"}', /preset 'loop' uses 'preset'/],
    ];
    cases.forEach(([text, message], i) => {
      const file = presetsFile(`bad-presets-${i}.json`, text);
      expect(problems({ ...base(), presetsFile: file })).toMatch(message);
    });
  });
});

describe('fm=auto and presets in the template and the package', () => {
  const custom = presetsFile('stage-presets.json', '{"banner": "w=1200&h=300&f=cover"}\n');
  const stagesFile = writeStagesFile({
    dev: { ...base(), autoFormat: true, avifBudgetMs: 1500, autoQuality: true, metadataGps: true, presetsFile: custom, presetsOnlyUnsigned: true },
  });
  const out = synth('dev', { stagesFile });

  test('the Lambda environment carries the settings and points at the packaged presets', () => {
    const env = serviceFunction(out.template)[1].Properties.Environment.Variables;
    expect(env).toMatchObject({
      IMAGE_SERVICE_AUTO_FORMAT: 'true',
      IMAGE_SERVICE_AVIF_BUDGET_MS: '1500',
      IMAGE_SERVICE_AUTO_QUALITY: 'true',
      IMAGE_SERVICE_METADATA_GPS: 'true',
      IMAGE_SERVICE_PRESETS: PRESETS_FILE_ON_LAMBDA,
      IMAGE_SERVICE_PRESETS_ONLY: 'true',
    });
    expect(PRESETS_FILE_ON_LAMBDA).toBe('/var/task/presets.json');
  });

  test("the package ships the stage's presets file beside the watermarks", () => {
    const [, fn] = serviceFunction(out.template);
    const asset = path.join(out.outdir, `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`);
    expect(fs.readFileSync(path.join(asset, 'presets.json'), 'utf8')).toBe(fs.readFileSync(custom, 'utf8'));
    expect(fs.readdirSync(path.join(asset, 'assets', 'watermarks'))).toEqual(['logo.png']);
  });

  test('a stage without the settings ships the repository presets with the defaults', () => {
    const plain = synth('dev');
    const [, fn] = serviceFunction(plain.template);
    expect(fn.Properties.Environment.Variables).toMatchObject({
      IMAGE_SERVICE_AUTO_FORMAT: 'false',
      IMAGE_SERVICE_AVIF_BUDGET_MS: String(DEFAULT_AVIF_BUDGET_MS),
      IMAGE_SERVICE_AUTO_QUALITY: 'false',
      IMAGE_SERVICE_METADATA_GPS: 'false',
      IMAGE_SERVICE_PRESETS_ONLY: 'false',
    });
    const asset = path.join(plain.outdir, `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`);
    expect(fs.readFileSync(path.join(asset, 'presets.json'), 'utf8')).toBe(fs.readFileSync(DEFAULT_PRESETS_FILE, 'utf8'));
  });
});
