/** The emulated Power Apps checker (emulator/README.md, "Power Apps checker"). */
export { CHECKER_PREFIX, handleCheckerRequest, isCheckerPath, MAX_UPLOAD_BYTES } from './api';
export { resetChecker } from './state';
