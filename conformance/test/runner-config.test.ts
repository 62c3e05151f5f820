import { expect } from 'chai';
import { resolveConfig, toRunConfig, type CliConfig } from '../config.js';
import { HarnessError } from '../errors.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

const run = (argv: string[], env: Record<string, string> = {}): CliConfig => {
  const r = resolveConfig(argv, env, { readFile: () => PEM });
  if (r.kind !== 'run') throw new Error('expected a run request');
  return r.config;
};

const usageError = (argv: string[], env: Record<string, string> = {}): HarnessError => {
  try {
    resolveConfig(argv, env);
  } catch (e) {
    return e as HarnessError;
  }
  throw new Error('expected E_USAGE');
};

describe('runner config (flags > env > defaults)', () => {
  it('applies the defaults', () => {
    const c = run(['--target', 'http://127.0.0.1:1/api/v3/onezone/']);
    expect(c.target).to.deep.equal({ kind: 'remote', url: 'http://127.0.0.1:1/api/v3/onezone' });
    // Issue 12: auto is the default profile (it was onezone-17.06, which fails 18.02+ servers).
    expect(c).to.include({ profile: 'auto', timeoutMs: 10000, insecure: false, allowWrites: false });
    expect(c.reportDir).to.equal('reports/latest');
  });

  it('takes the environment when no flag is given, and the flag over the environment', () => {
    const env = {
      ONEZONE_TARGET: 'https://zone.example.org/api/v3/onezone',
      ONEZONE_USER: 'alice:pa:ss',
      ONEZONE_TOKEN: 'T',
      ONEZONE_OTHER_USER: 'bob:x',
    };
    // Split at the first colon: passwords may contain colons, names may not.
    expect(run([], env).target).to.deep.equal({
      kind: 'remote',
      url: 'https://zone.example.org/api/v3/onezone',
      user: { name: 'alice', password: 'pa:ss' },
      token: 'T',
      otherUser: { name: 'bob', password: 'x' },
    });
    const flagged = run(['--user', 'carol:y'], env).target;
    expect(flagged.kind === 'remote' && flagged.user).to.deep.equal({ name: 'carol', password: 'y' });
  });

  it('runs the embedded stand-in with writes when there is no target, decided once in the configuration', () => {
    const c = run([]);
    expect(c.target).to.deep.equal({ kind: 'embedded' });
    expect(c.allowWrites).to.equal(true);
    // The resolved stand-in keeps the decision: toRunConfig takes it, it does not decide again.
    const resolved = toRunConfig(c, { url: 'http://127.0.0.1:9/api/v3/onezone', embedded: true });
    expect(resolved).to.include({ target: 'http://127.0.0.1:9/api/v3/onezone', embedded: true, allowWrites: true });
  });

  it('gives runConformance only what it uses: no report directory, a resolved target', () => {
    const c = run(['--target', 'https://h/api', '--ca', 'ca.pem', '--allow-writes', '--report-dir', 'out']);
    const target = c.target.kind === 'remote' ? c.target : undefined;
    expect(Object.keys(toRunConfig(c, { ...target!, embedded: false })).sort()).to.deep.equal(
      ['allowWrites', 'caFile', 'caPem', 'embedded', 'insecure', 'profile', 'target', 'timeoutMs'].sort(),
    );
  });

  it('reads --ca and parses --timeout, --profile, --allow-writes', () => {
    const c = run([
      '--target',
      'https://h/api',
      '--ca',
      'ca.pem',
      '--timeout',
      '300',
      '--profile',
      'mock',
      '--allow-writes',
    ]);
    expect(c).to.include({ timeoutMs: 300, profile: 'mock', allowWrites: true });
    expect(c.ca).to.deep.equal({ file: 'ca.pem', pem: PEM });
  });

  for (const [argv, why] of [
    [['--target', 'ftp://x'], 'a non-http scheme'],
    [['--target', 'not a url'], 'a non-URL'],
    [['--target', 'http://u:p@h/api'], 'credentials in the URL'],
    [['--target', 'http://h', '--user', 'nocolon'], 'a user without a colon'],
    [['--target', 'http://h', '--timeout', '-5'], 'a negative timeout'],
    [['--target', 'http://h', '--profile', 'onezone-99'], 'an unknown profile'],
    [['--target', 'http://h', '--bogus'], 'an unknown flag'],
    [['--target', 'http://h', '--insecure', '--ca', 'x'], '--ca with --insecure'],
    [['--user', 'a:b'], 'credentials without a target'],
  ] as const) {
    it(`rejects ${why} with E_USAGE`, () => {
      expect(usageError([...argv]).code).to.equal('E_USAGE');
    });
  }

  it('answers --help', () => {
    expect(resolveConfig(['--help'], {}).kind).to.equal('help');
  });

  // Issue 13 item 9: an empty value is a missing CI secret or a typo, never "absent" (which would run the
  // embedded stand-in, or run as nobody with most checks skipped and a passing badge).
  for (const [argv, env, why] of [
    [[], { ONEZONE_TARGET: '' }, 'an empty ONEZONE_TARGET'],
    [['--target', 'http://h/api'], { ONEZONE_USER: '' }, 'an empty ONEZONE_USER'],
    [['--target', 'http://h/api'], { ONEZONE_OTHER_USER: '' }, 'an empty ONEZONE_OTHER_USER'],
    [['--target', 'http://h/api'], { ONEZONE_TOKEN: '' }, 'an empty ONEZONE_TOKEN'],
    [['--target', 'http://h/api', '--user', ''], {}, "--user ''"],
    [['--target', ''], {}, "--target ''"],
    [['--target=', '--allow-writes'], {}, '--target='],
    [['--report-dir', ''], {}, "--report-dir ''"],
    [['--target', 'http://h/api', '--profile', ''], {}, "--profile ''"],
  ] as const) {
    it(`refuses ${why} with E_USAGE, naming it`, () => {
      const e = usageError([...argv], { ...env });
      expect(e.code).to.equal('E_USAGE');
      expect(e.message).to.match(/ONEZONE_\w+ is set but empty|--[\w-]+ is empty/);
    });
  }

  it('still takes a flag over its environment variable when the variable is set and not empty', () => {
    const c = run(['--target', 'http://h/api'], { ONEZONE_TARGET: 'http://other/api' });
    expect(c.target).to.deep.equal({ kind: 'remote', url: 'http://h/api' });
  });

  // Issue 13 item 11: limits a timer can honour, an overall deadline, and a CA file that is really a CA.
  for (const [argv, pattern] of [
    [['--timeout', '2147483648'], /--timeout 2147483648 is above the limit of 2147483647 ms/],
    [['--timeout', '1e3'], /--timeout must be a positive integer/],
    [['--timeout', '0'], /--timeout must be a positive integer/],
    [['--deadline', '99999999999'], /--deadline 99999999999 is above the limit/],
    [['--deadline', 'soon'], /--deadline must be a positive integer/],
  ] as const) {
    it(`refuses ${argv.join(' ')} with E_USAGE`, () => {
      const e = usageError(['--target', 'http://h/api', ...argv]);
      expect(e.code).to.equal('E_USAGE');
      expect(e.message).to.match(pattern);
    });
  }

  it('gives the run a generous deadline by default, and takes --deadline', () => {
    expect(run(['--target', 'http://h/api']).deadlineMs).to.equal(600_000);
    expect(run(['--target', 'http://h/api', '--deadline', '2147483647']).deadlineMs).to.equal(2147483647);
  });

  it('refuses an empty or non-PEM --ca file, naming it, instead of falling back to the system store', () => {
    for (const [text, why] of [
      ['', /--ca ca\.pem is empty/],
      ['  \n', /--ca ca\.pem is empty/],
      ['not a certificate\n', /--ca ca\.pem holds no PEM certificate/],
      ['-----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----\n', /--ca ca\.pem holds no PEM certificate/],
    ] as const) {
      let error: HarnessError | undefined;
      try {
        resolveConfig(['--target', 'https://h/api', '--ca', 'ca.pem'], {}, { readFile: () => text });
      } catch (e) {
        error = e as HarnessError;
      }
      expect(error?.code, JSON.stringify(text)).to.equal('E_USAGE');
      expect(error?.message).to.match(why);
    }
  });

  // Issue 13 item 14: a malformed --target is often a URL with a password in it, or a password in its place.
  for (const value of [
    'https//alice:s3cret-pw@zone.example.org/api/v3/onezone',
    'https:/alice:s3cret-pw@zone.example.org',
    'https://alice:s3cret-pw@zone.example.org/api/v3/onezone',
    'ftp://alice:s3cret-pw@zone.example.org',
    'alice:s3cret-pw',
    'https://zone.example.org/api?token=s3cret-pw',
    's3cret-pw',
  ]) {
    it(`refuses --target ${value.replace('s3cret-pw', '…')} without echoing the secret`, () => {
      for (const e of [usageError(['--target', value]), usageError([], { ONEZONE_TARGET: value })]) {
        expect(e.code).to.equal('E_USAGE');
        expect(e.message).to.match(/--target/);
        expect(e.message).not.to.include('s3cret');
      }
    });
  }

  it('takes --max-body for the body cap and hands it to the run; refuses a non-positive one', () => {
    const c = run(['--target', 'http://h/api', '--max-body', '1024']);
    expect(toRunConfig(c, { url: 'http://h/api', embedded: false }).maxBodyBytes).to.equal(1024);
    expect(
      toRunConfig(run(['--target', 'http://h/api']), { url: 'http://h/api', embedded: false }),
    ).not.to.have.property('maxBodyBytes');
    for (const bad of ['0', '-1', '1e6', 'lots'])
      expect(usageError(['--target', 'http://h/api', '--max-body', bad]).code).to.equal('E_USAGE');
  });
});
