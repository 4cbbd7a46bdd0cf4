/** The config system's public API (see load.ts). */
export * from './load';
