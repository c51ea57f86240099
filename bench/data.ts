/** Where the bench finds the real AWS series of the shared data: the tests' resolver (test/support/shared-data). */
export { sharedDataPath as sharedDataFile } from "../test/support/shared-data.js";
