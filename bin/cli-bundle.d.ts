export declare class BundleBuildError extends Error {}
export declare function freshBundle(options: { root: string; entry: string; outdir: string }): Promise<string | null>;
