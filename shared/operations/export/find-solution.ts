/** Finding the solution to export, with an error that lists similar unmanaged solutions when it is not there. */
import { UserError } from '../../core';
import { getSolution, listSolutions, type DataverseClient, type SolutionInfo } from '../../dataverse';
import { suggestName } from '../../solution';

/** Built-in unmanaged containers every environment has; never what a pipeline means to export. */
const CONTAINERS = new Set(['active', 'basic', 'default']);
const MAX_LISTED = 10;

export async function findSolutionToExport(client: DataverseClient, uniqueName: string, signal: AbortSignal): Promise<SolutionInfo> {
  const solution = await getSolution(client, uniqueName, { signal });
  if (solution && !solution.ismanaged) return solution;
  if (solution) {
    throw new UserError(`Solution '${solution.uniquename}' ${solution.version} is managed in ${client.environmentUrl}; a managed solution cannot be exported.`,
      'Export from the development environment where the solution is unmanaged (package type managed exports a managed zip from there).');
  }
  const unmanaged = (await listSolutions(client, { managed: false, signal }))
    .filter((s) => !CONTAINERS.has(s.uniquename.toLowerCase()));
  throw new UserError(`Solution '${uniqueName}' was not found in ${client.environmentUrl}.${describeCandidates(uniqueName, unmanaged)}`,
    "Use the solution's unique name (the Name column in the maker portal, not its display name) and check the environment URL.");
}

function describeCandidates(wanted: string, solutions: SolutionInfo[]): string {
  if (solutions.length === 0) return ' The environment has no unmanaged solutions of its own.';
  const similar = similarSolutions(wanted, solutions);
  if (similar.length > 0) return ` Similar unmanaged solutions there: ${similar.map(describe).join(', ')}.`;
  const listed = solutions.slice(0, MAX_LISTED).map(describe).join(', ');
  return ` Unmanaged solutions there: ${listed}${solutions.length > MAX_LISTED ? `, and ${solutions.length - MAX_LISTED} more` : ''}.`;
}

/** Names containing (or contained in) the wanted one, or matching its display name, plus the closest plausible typo. */
function similarSolutions(wanted: string, solutions: SolutionInfo[]): SolutionInfo[] {
  const key = normalize(wanted);
  const matches = solutions.filter((s) => {
    const name = normalize(s.uniquename);
    const friendly = normalize(s.friendlyname ?? '');
    return (key.length >= 3 && (name.includes(key) || (name.length >= 3 && key.includes(name)))) || friendly === key;
  });
  const typo = suggestName(wanted, solutions.map((s) => s.uniquename));
  const typoSolution = solutions.find((s) => s.uniquename === typo);
  if (typoSolution && !matches.includes(typoSolution)) matches.unshift(typoSolution);
  return matches.slice(0, MAX_LISTED);
}

function describe(solution: SolutionInfo): string {
  return solution.friendlyname && solution.friendlyname !== solution.uniquename
    ? `${solution.uniquename} ('${solution.friendlyname}')`
    : solution.uniquename;
}

function normalize(text: string): string {
  return text.toLowerCase().replace(/[\s_-]/g, '');
}
