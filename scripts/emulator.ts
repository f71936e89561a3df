/**
 * `npm run emulator -- [--port 7071] [--seed file.json] [--host 127.0.0.1] [--quiet]`
 * First line printed (contract): `Emulator listening on http://127.0.0.1:<port>`. Stops on SIGINT/SIGTERM.
 */
import { startEmulator, type StartEmulatorOptions } from '../emulator';

function parseArgs(argv: string[]): StartEmulatorOptions {
  const options: StartEmulatorOptions = { quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value.`);
      return next;
    };
    if (arg === '--port') {
      const port = Number(value());
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0-65535 (got '${argv[i]}').`);
      options.port = port;
    } else if (arg === '--seed') options.seed = value();
    else if (arg === '--host') options.host = value();
    else if (arg === '--quiet') options.quiet = true;
    else throw new Error(`Unknown argument '${arg}'. Usage: npm run emulator -- [--port 7071] [--seed file.json] [--host 127.0.0.1] [--quiet]`);
  }
  return options;
}

async function main(): Promise<void> {
  const emulator = await startEmulator(parseArgs(process.argv.slice(2)));
  console.log(`Emulator listening on ${emulator.url}`);
  const { info } = emulator;
  console.log(`Authority host ${info.authorityHost}, tenant ${info.tenantId}, client ${info.clientId}`);
  for (const [name, url] of Object.entries(info.environments)) console.log(`Environment ${name}: ${url}`);
  console.log(`Everything else (secrets, IMDS, Azure DevOps): GET ${emulator.url}/_emulator/info`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping the emulator`);
    emulator.stop().then(() => process.exit(0), (error: Error) => {
      console.error(`Emulator did not stop cleanly: ${error.message}`);
      process.exit(1);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: Error) => {
  console.error(`Emulator failed to start: ${error.message}`);
  process.exit(1);
});
