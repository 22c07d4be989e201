// Public entry of the OpenAI / Azure OpenAI emulator used by contract tests and scripts/emulator.ts.
export { DEFAULT_TIME_SCALE, startOpenAiEmulator } from './server';
export type { BatchRecord, EmulatorOptions, RequestLogEntry, RunningEmulator } from './server';
export type { BatchStatus, Flavor, TimeScale } from './batchRunner';
export type { EmulatorRoute, EndpointFault, FaultConfig, ItemFault } from './faults';
