/** Every service the steps build, in one flat bundle (`Runtime.services`; routes and workers pick from it). */
import type { ChannelsBundle } from './init-channels.js';
import type { EngineBundle } from './init-engine.js';
import type { FeaturesBundle } from './init-features.js';
import type { Stores } from './init-stores.js';
import type { TelephonyBundle } from './init-telephony.js';

export type Services = Stores & EngineBundle & ChannelsBundle & FeaturesBundle & TelephonyBundle;
