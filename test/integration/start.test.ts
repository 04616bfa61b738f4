// `npm start` as a newcomer runs it: a child process with no billwerk configuration, which must come up
// with the embedded emulator, answer health and a real query, and stop cleanly on SIGTERM.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { GraphQLClient, gql } from 'graphql-request';

let child: ChildProcessWithoutNullStreams;
let output = '';

/** Resolves with the first match of `pattern` in the child's output. */
function waitForOutput(pattern: RegExp): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = output.match(pattern);
      if (match) {
        child.stdout.off('data', check);
        resolve(match);
      }
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
    check();
  });
}

beforeAll(() => {
  // Port 0: any free port, so the test never collides with a gateway a developer is running.
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', EMULATOR_PORT: '0', LOG_LEVEL: 'warn' };
  for (const name of ['BILLWERK_CLIENT_ID', 'BILLWERK_CLIENT_SECRET', 'BILLWERK_BASE_URL']) delete env[name];
  child = spawn('npm', ['start', '--silent'], { env });
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
});

afterAll(() => {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

it('npm start serves health and a query against the embedded emulator, then stops on SIGTERM', async () => {
  const [, url] = await waitForOutput(/GraphQL\s+(http:\/\/\S+)\/graphql/);
  expect(output).toMatch(/embedded emulator at http:\/\/\S+\/api\/v1/);

  const health = await fetch(`${url}/healthz`);
  expect(health.status).toBe(200);

  const client = new GraphQLClient(`${url}/graphql`);
  const data = await client.request<{ planGroups: { name: string; currency: string }[] }>(gql`
    {
      planGroups {
        name
        currency
      }
    }
  `);
  expect(data.planGroups[0]).toEqual({ name: 'Demo SaaS', currency: 'EUR' });

  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  expect(code).toBe(0);
}, 120_000);
