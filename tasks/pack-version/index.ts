/** DataversePackSolution@1: pack a solution folder into versioned, deterministic zips (no connection, no network). */
import { runTask } from '../../shared/pipeline';
import { PACKAGE_TYPE_CHOICES, packSolution } from '../../shared/operations/packSolution';

void runTask(async ({ inputs, reporter }) => {
  const result = await packSolution({
    sourceFolder: inputs.requiredPath('sourceFolder', { mustExist: 'directory' }),
    packageType: inputs.pickList('packageType', PACKAGE_TYPE_CHOICES, 'both'),
    outputFolder: inputs.requiredPath('outputFolder'),
    version: inputs.optional('version'),
    mapFile: inputs.optionalPath('mapFile', { mustExist: 'file' }),
    updateSourceVersion: inputs.boolean('updateSourceVersion', false),
  }, reporter);

  reporter.setOutput('solutionName', result.solutionName);
  reporter.setOutput('solutionVersion', result.solutionVersion);
  reporter.setOutput('unmanagedSolutionFile', result.unmanagedSolutionFile ?? '');
  reporter.setOutput('managedSolutionFile', result.managedSolutionFile ?? '');
});
