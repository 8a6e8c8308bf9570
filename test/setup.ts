// tfjs-core's Node bundle does not register op gradients; the umbrella package does (see
// workers/backend.ts). Every test file gets them, whichever backend it selects.
import '@tensorflow/tfjs';
