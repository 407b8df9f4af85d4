/**
 * The built-in manufacturer drivers, registered in `defaultDrivers` (driver.ts). One module per
 * manufacturer format; each says what the format is and where it was learned.
 *
 * Conventions of every built-in driver (see driver-record.ts for the records they make):
 * - A driver never throws on a layout it does not recognise or on short data: it returns the
 *   values it could read (often none), so the telegram's standard records survive.
 * - Driver modules import driver.ts for types only (no runtime cycle: driver.ts imports this list).

 */
import { apator08 } from './apator-08.js';
import { apator162 } from './apator-162.js';
import { apatorEitn } from './apator-eitn.js';
import { bmetersHydroclima } from './bmeters-hydroclima.js';
import { bmetersHydrodigit } from './bmeters-hydrodigit.js';
import { diehlPrios } from './diehl-prios.js';
import { diehlRealData } from './diehl-real-data.js';
import type { Driver } from './driver.js';
import { gwfWater } from './gwf-water.js';
import { imeManufacturerVifs } from './ime-manufacturer-vifs.js';
import { qundisWalkBy } from './qundis-walk-by.js';
import { techemHeat } from './techem-heat.js';
import { techemMkRadio3 } from './techem-mkradio3.js';
import { zenner0b } from './zenner-0b.js';

export const builtinDrivers: readonly Driver[] = [
  qundisWalkBy,
  diehlPrios,
  diehlRealData,
  bmetersHydrodigit,
  bmetersHydroclima,
  imeManufacturerVifs,
  apator162,
  apator08,
  apatorEitn,
  techemHeat,
  techemMkRadio3,
  zenner0b,
  gwfWater,
];
