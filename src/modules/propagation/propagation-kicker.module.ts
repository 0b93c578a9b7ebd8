import { Module } from '@nestjs/common';
import { PropagationKicker } from './propagation.kicker';

/**
 * PropagationKicker alone, for modules that must kick propagation but that propagation itself imports
 * (connectors, vendors): importing this instead of PropagationModule keeps the module graph acyclic.
 */
@Module({ providers: [PropagationKicker], exports: [PropagationKicker] })
export class PropagationKickerModule {}
