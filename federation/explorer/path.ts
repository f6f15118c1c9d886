/** Where a member serves its web explorer, below its API address. */
export const EXPLORER_PATH = '/explorer';
