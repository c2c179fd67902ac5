import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { TributaryError } from '../errors.ts';
import { readSettings, validateSettings } from './read.ts';

const schema = Type.Object({
  batch: Type.Integer({ env: 'DEMO_BATCH', default: 200, minimum: 1, description: 'items per run' }),
  ratio: Type.Number({ env: 'DEMO_RATIO', default: 0.5, exclusiveMinimum: 0, maximum: 1, description: 'share' }),
  verbose: Type.Boolean({ env: 'DEMO_VERBOSE', default: false, description: 'log more' }),
  mode: Type.Union([Type.Literal('fast'), Type.Literal('safe')], { env: 'DEMO_MODE', default: 'safe', description: 'how' }),
  label: Type.Optional(Type.String({ env: 'DEMO_LABEL', description: 'a name' })),
});

const required = Type.Object({ url: Type.String({ env: 'DEMO_URL', minLength: 1, description: 'where' }) });

function refusal(run: () => unknown): TributaryError {
  try {
    run();
  } catch (error) {
    if (error instanceof TributaryError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('readSettings', () => {
  it('takes the defaults when nothing is set, and leaves an optional setting out', () => {
    expect(readSettings(schema, {})).toEqual({ batch: 200, ratio: 0.5, verbose: false, mode: 'safe' });
  });

  it('treats an empty variable as unset', () => {
    expect(readSettings(schema, { DEMO_BATCH: '', DEMO_VERBOSE: '', DEMO_MODE: '', DEMO_LABEL: '' })).toEqual({ batch: 200, ratio: 0.5, verbose: false, mode: 'safe' });
  });

  it('converts numbers, flags, choices and text', () => {
    expect(readSettings(schema, { DEMO_BATCH: '50', DEMO_RATIO: '0.25', DEMO_VERBOSE: 'YES', DEMO_MODE: 'fast', DEMO_LABEL: 'x' }))
      .toEqual({ batch: 50, ratio: 0.25, verbose: true, mode: 'fast', label: 'x' });
    for (const [raw, value] of [['1', true], ['true', true], ['yes', true], ['0', false], ['False', false], ['no', false]] as const) {
      expect(readSettings(schema, { DEMO_VERBOSE: raw }).verbose).toBe(value);
    }
  });

  it('refuses a value outside its range, naming the variable, the value and the rule', () => {
    const error = refusal(() => readSettings(schema, { DEMO_BATCH: '0' }));
    expect(error.code).toBe('TRIB_INVALID_CONFIG');
    expect(error.message).toContain('DEMO_BATCH must be a whole number >= 1, got "0"');
    expect(refusal(() => readSettings(schema, { DEMO_RATIO: '1.5' })).message).toContain('DEMO_RATIO must be a number > 0 and <= 1, got "1.5"');
  });

  it('refuses a fraction where a whole number is asked, and a word where a number is', () => {
    expect(refusal(() => readSettings(schema, { DEMO_BATCH: '1.5' })).message).toContain('DEMO_BATCH must be a whole number >= 1, got "1.5"');
    expect(refusal(() => readSettings(schema, { DEMO_BATCH: 'soon' })).message).toContain('DEMO_BATCH must be a whole number >= 1, got "soon"');
    expect(refusal(() => readSettings(schema, { DEMO_BATCH: '1e20' })).message).toContain('DEMO_BATCH must be a whole number >= 1, got "1e20"');
    expect(refusal(() => readSettings(schema, { DEMO_BATCH: ' ' })).message).toContain('DEMO_BATCH must be a whole number >= 1, got " "');
  });

  it('refuses a flag it does not know and a choice outside the enum', () => {
    expect(refusal(() => readSettings(schema, { DEMO_VERBOSE: 'on' })).message).toContain('DEMO_VERBOSE must be a flag (1/0, true/false, yes/no), got "on"');
    expect(refusal(() => readSettings(schema, { DEMO_MODE: 'slow' })).message).toContain('DEMO_MODE must be one of fast, safe, got "slow"');
  });

  it('refuses a missing value for a required setting without a default', () => {
    expect(refusal(() => readSettings(required, {})).message).toContain('DEMO_URL is not set');
    expect(refusal(() => readSettings(required, { DEMO_URL: '' })).message).toContain('DEMO_URL is not set');
    expect(readSettings(required, { DEMO_URL: 'http://x' })).toEqual({ url: 'http://x' });
  });

  it('checks settings given in their types with the same refusal', () => {
    expect(validateSettings(schema, { batch: 3, ratio: 1, verbose: true, mode: 'fast' })).toEqual({ batch: 3, ratio: 1, verbose: true, mode: 'fast' });
    expect(refusal(() => validateSettings(schema, { batch: 0, ratio: 1, verbose: true, mode: 'fast' })).message).toContain('DEMO_BATCH must be a whole number >= 1, got 0');
  });
});
