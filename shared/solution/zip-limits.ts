/** Bounds applied when reading untrusted zips (zip-bomb protection). */
export interface ZipLimits {
  /** Largest total uncompressed size of all entries. */
  maxTotalBytes: number;
  /** Largest uncompressed size of one entry. */
  maxEntryBytes: number;
  /** Largest uncompressed/compressed ratio for entries above `ratioCheckMinBytes`. */
  maxRatio: number;
  ratioCheckMinBytes: number;
  maxEntries: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = {
  maxTotalBytes: 4 * 1024 ** 3,
  maxEntryBytes: 2 * 1024 ** 3,
  maxRatio: 200,
  ratioCheckMinBytes: 1024 * 1024,
  maxEntries: 200_000,
};
