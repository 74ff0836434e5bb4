import { afterAll, beforeAll } from '@jest/globals';
import { RecordedSandbox } from './recorded-sandbox';
import { ChaosService } from './service';
import { ChaosTemporal } from './temporal-server';

export interface ChaosRig {
  temporal: ChaosTemporal;
  sandbox: RecordedSandbox;
  service: ChaosService;
}

/** A real dev server, the recorded sandbox and the service harness for one test file, torn down after it. */
export function useChaosRig(): ChaosRig {
  const rig = {} as ChaosRig;
  beforeAll(async () => {
    rig.temporal = await ChaosTemporal.start();
    rig.sandbox = await RecordedSandbox.start();
    rig.service = await ChaosService.create(rig.temporal, rig.sandbox);
  }, 120_000);
  afterAll(async () => {
    await rig.service?.stopAll();
    await rig.sandbox?.close();
    await rig.temporal?.close();
  });
  return rig;
}
