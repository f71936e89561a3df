/**
 * Work item types and states of the built-in processes (as Azure Boards ships them). Inherited processes
 * allow any transition between a type's states, so the emulator checks only that a state exists for the type.
 */
export type ProcessName = 'Agile' | 'Basic' | 'Scrum';

export interface WorkItemTypeDefinition {
  name: string;
  /** First = the state a new work item starts in. */
  states: string[];
}

export const PROCESSES: Record<ProcessName, WorkItemTypeDefinition[]> = {
  Agile: [
    { name: 'Task', states: ['New', 'Active', 'Closed', 'Removed'] },
    { name: 'Bug', states: ['New', 'Active', 'Resolved', 'Closed'] },
    { name: 'User Story', states: ['New', 'Active', 'Resolved', 'Closed', 'Removed'] },
    { name: 'Feature', states: ['New', 'Active', 'Resolved', 'Closed', 'Removed'] },
    { name: 'Epic', states: ['New', 'Active', 'Resolved', 'Closed', 'Removed'] },
    { name: 'Issue', states: ['Active', 'Closed'] },
  ],
  Basic: [
    { name: 'Task', states: ['To Do', 'Doing', 'Done'] },
    { name: 'Issue', states: ['To Do', 'Doing', 'Done'] },
    { name: 'Epic', states: ['To Do', 'Doing', 'Done'] },
  ],
  Scrum: [
    { name: 'Task', states: ['To Do', 'In Progress', 'Done', 'Removed'] },
    { name: 'Bug', states: ['New', 'Approved', 'Committed', 'Done', 'Removed'] },
    { name: 'Product Backlog Item', states: ['New', 'Approved', 'Committed', 'Done', 'Removed'] },
    { name: 'Impediment', states: ['Open', 'Closed'] },
  ],
};

export const PROCESS_NAMES = Object.keys(PROCESSES) as ProcessName[];

export function findType(process: ProcessName, name: string): WorkItemTypeDefinition | undefined {
  return PROCESSES[process].find((t) => t.name.toLowerCase() === name.toLowerCase());
}

/** The state as the type spells it, or undefined when the type has no such state. */
export function canonicalState(type: WorkItemTypeDefinition, state: string): string | undefined {
  return type.states.find((s) => s.toLowerCase() === state.trim().toLowerCase());
}
