import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ControllerSettingsService } from './controller-settings.service';
import { ControllerSettingsEntity } from './entities/controller-settings.entity';
import { SettingsController } from './settings.controller';

/** Settings of the gateway's operator kept in the database: today the controller's details. */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([ControllerSettingsEntity])],
  controllers: [SettingsController],
  providers: [ControllerSettingsService],
  exports: [ControllerSettingsService],
})
export class SettingsModule {}
