export interface WhoAmIResponse {
  BusinessUnitId: string;
  UserId: string;
  OrganizationId: string;
}

/** A row of the `solution` table with the columns findSolution selects (protocol.md §3.3, §4.3). */
export interface SolutionRecord {
  solutionid: string;
  uniquename: string;
  friendlyname: string;
  version: string;
  ismanaged: boolean;
  installedon?: string | null;
  modifiedon?: string | null;
}
