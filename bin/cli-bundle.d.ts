export declare class BundleBuildError extends Error {}
export declare function freshBundle(options: { root: string; entry: string; cacheDir: string }): Promise<string | null>;
