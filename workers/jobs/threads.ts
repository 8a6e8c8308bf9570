import type { ComputeReport } from '../../contract/compute';
import { samplingChunk } from '../../contract/run-spec/cost';
import { xDimOf } from '../../engine/flows/types';
import { serializeFlow } from '../../engine/flows/serialize';
import { startDataParallel, type DataParallel } from '../parallel/data-parallel';
import type { Run } from './train-setup';

/**
 * The run's threads for training and sampling: data-parallel helpers on the CPU backends (wasm,
 * cpu) when the scheduler gave it more than one core. TensorFlow and WebGPU parallelise inside.
 */
export async function startThreads(run: Run, backend: ComputeReport): Promise<DataParallel> {
  const { spec, built, o, emit } = run;
  const cores = backend.name === 'wasm' || backend.name === 'cpu' ? (o.cores ?? 1) : 1;
  const maxBatch = Math.max(1, ...spec.training.stages.map((s) => s.batch));
  const system = { name: spec.system.name, params: spec.system.params, molecule: o.inputs?.molecule ?? null };
  const dp = await startDataParallel({ cores, flow: built.flow, flowBytes: serializeFlow(built), backend: backend.name, system, maxBatch, maxSampleRows: samplingChunk(spec, xDimOf(built.flow)), ...(o.coreBudget ? { budget: o.coreBudget } : {}) });
  if (dp.cores > 1) emit({ type: 'phase', phase: 'train', message: `${dp.cores} threads (data-parallel training and sampling)` });
  return dp;
}
