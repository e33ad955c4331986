// The renderer reaches its host only through these per-domain clients.
export { bridge, setBridge, isDesktop } from './bridge';
export { experimentsApi, type ExperimentsApi } from './experiments';
export { runsApi, type RunsApi } from './runs';
export { queueApi, type QueueApi } from './queue';
export { exportsApi, type ExportsApi } from './exports';
export { datasetsApi, type DatasetsApi } from './datasets';
export { systemApi, type SystemApi } from './system';
export { saveFile, openTextFile } from './files';
