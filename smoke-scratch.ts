import { packSolution } from './shared/solution';
async function main() {
  for (const f of process.argv.slice(2)) {
    try {
      const r = await packSolution({ folder: f, outputFolder: '/tmp/packout', logger: { debug: (m) => console.log('D', m), info: console.log, warn: console.log } });
      console.log(r.unmanagedZipPath, r.managedZipPath, r.warnings);
    } catch (e) { console.log('ERR', (e as Error).message); }
  }
}
void main();
