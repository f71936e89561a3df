/**
 * Public API of the solution package library (design.md §3: shared/solution).
 * - packSolution / unpackSolution: folder (flat, src/ or pac project) ⇄ unmanaged/managed zips.
 * - inspectSolutionFolder: layout, solution root, cdsproj settings and the manifest of a folder.
 * - parseVersion / compareVersions / applyVersionPattern / stampFolderVersion: versions.
 * - readSolutionZip / readSolutionFolder: components, connection references, env vars, flows.
 * - parseDeploymentSettings / generateDeploymentSettings / validateDeploymentSettings: pac settings files.
 * - ZipReader / writeZip: hardened, streaming, deterministic zip I/O.
 */
export * from './versions';
export * from './manifest';
export * from './layout';
export * from './mapping';
export * from './pack';
export { MissingFile } from './pack-plan';
export { ZipReader, ZipEntryInfo, unsafeEntryReason } from './zip-read';
export { ZipLimits, DEFAULT_ZIP_LIMITS } from './zip-limits';
export { writeZip, ZipWriteEntry, ZipSource } from './zip-write';
export { parseXml, writeXml, XmlElement, XmlNode } from './xml';
export * from './unpack';
export * from './contents';
export * from './settings';
export * from './version-stamp';
