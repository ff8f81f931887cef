/**
 * Where a US consumer may be, as IANA time zones, from the postal address and from the phone's
 * area code (12 CFR 1006.6(b)(1)(i): when the location is ambiguous, the time must be convenient
 * in every zone it could be). Each list holds one representative zone per distinct set of clock
 * rules (Indianapolis keeps New York's clock, Boise Denver's). When a piece of data is missing
 * or unrecognised the answer widens, never narrows: an unknown state, ZIP or area code means
 * every US zone.
 */
import type { CalendarDate } from "../calendar.js"

const ET = "America/New_York"
const CT = "America/Chicago"
const MT = "America/Denver"
const AZ = "America/Phoenix"
const PT = "America/Los_Angeles"
const AKT = "America/Anchorage"
const HAT = "America/Adak"
const HT = "Pacific/Honolulu"
const AST = "America/Puerto_Rico"
const CHST = "Pacific/Guam"
const SST = "Pacific/Pago_Pago"

/** States, DC and the inhabited territories. */
export const US_TIME_ZONES: ReadonlyArray<string> = [ET, CT, MT, AZ, PT, AKT, HAT, HT, AST, CHST, SST]

/**
 * Zones in use anywhere in the state, including local (unofficial) observance: Phenix City AL
 * keeps Eastern time, Kenton OK Mountain, West Wendover NV Mountain, the Navajo Nation in AZ
 * keeps daylight time.
 */
const STATE_TIME_ZONES: Readonly<Record<string, ReadonlyArray<string>>> = {
  AL: [CT, ET], AK: [AKT, HAT], AZ: [AZ, MT], AR: [CT], CA: [PT], CO: [MT], CT: [ET], DE: [ET],
  DC: [ET], FL: [ET, CT], GA: [ET], HI: [HT], ID: [MT, PT], IL: [CT], IN: [ET, CT], IA: [CT],
  KS: [CT, MT], KY: [ET, CT], LA: [CT], ME: [ET], MD: [ET], MA: [ET], MI: [ET, CT], MN: [CT],
  MS: [CT], MO: [CT], MT: [MT], NE: [CT, MT], NV: [PT, MT], NH: [ET], NJ: [ET], NM: [MT], NY: [ET],
  NC: [ET], ND: [CT, MT], OH: [ET], OK: [CT, MT], OR: [PT, MT], PA: [ET], RI: [ET], SC: [ET],
  SD: [CT, MT], TN: [ET, CT], TX: [CT, MT], UT: [MT], VT: [ET], VA: [ET], WA: [PT], WV: [ET],
  WI: [CT], WY: [MT], PR: [AST], VI: [AST], GU: [CHST], MP: [CHST], AS: [SST]
}

const STATE_NAMES: Readonly<Record<string, string>> = {
  "ALABAMA": "AL", "ALASKA": "AK", "ARIZONA": "AZ", "ARKANSAS": "AR", "CALIFORNIA": "CA", "COLORADO": "CO",
  "CONNECTICUT": "CT", "DELAWARE": "DE", "DISTRICT OF COLUMBIA": "DC", "FLORIDA": "FL", "GEORGIA": "GA",
  "HAWAII": "HI", "IDAHO": "ID", "ILLINOIS": "IL", "INDIANA": "IN", "IOWA": "IA", "KANSAS": "KS",
  "KENTUCKY": "KY", "LOUISIANA": "LA", "MAINE": "ME", "MARYLAND": "MD", "MASSACHUSETTS": "MA",
  "MICHIGAN": "MI", "MINNESOTA": "MN", "MISSISSIPPI": "MS", "MISSOURI": "MO", "MONTANA": "MT",
  "NEBRASKA": "NE", "NEVADA": "NV", "NEW HAMPSHIRE": "NH", "NEW JERSEY": "NJ", "NEW MEXICO": "NM",
  "NEW YORK": "NY", "NORTH CAROLINA": "NC", "NORTH DAKOTA": "ND", "OHIO": "OH", "OKLAHOMA": "OK",
  "OREGON": "OR", "PENNSYLVANIA": "PA", "RHODE ISLAND": "RI", "SOUTH CAROLINA": "SC", "SOUTH DAKOTA": "SD",
  "TENNESSEE": "TN", "TEXAS": "TX", "UTAH": "UT", "VERMONT": "VT", "VIRGINIA": "VA", "WASHINGTON": "WA",
  "WEST VIRGINIA": "WV", "WISCONSIN": "WI", "WYOMING": "WY", "PUERTO RICO": "PR", "VIRGIN ISLANDS": "VI",
  "GUAM": "GU", "NORTHERN MARIANA ISLANDS": "MP", "AMERICAN SAMOA": "AS"
}

/** A two-letter state code from a code or a full name, or null when unrecognised. */
export const normalizeState = (state: string | null): string | null => {
  if (state === null) return null
  const upper = state.trim().toUpperCase().replace(/\./g, "")
  if (upper in STATE_TIME_ZONES) return upper
  return STATE_NAMES[upper] ?? null
}

/**
 * USPS three-digit ZIP prefixes by state, as inclusive ranges. Military (AA/AE/AP) prefixes are
 * left out on purpose: they say nothing about the clock.
 */
const ZIP3_RANGES: ReadonlyArray<readonly [number, number, string]> = [
  [5, 5, "NY"], [6, 7, "PR"], [8, 8, "VI"], [9, 9, "PR"], [10, 27, "MA"], [28, 29, "RI"], [30, 38, "NH"],
  [39, 49, "ME"], [50, 54, "VT"], [55, 55, "MA"], [56, 59, "VT"], [60, 69, "CT"], [70, 89, "NJ"],
  [100, 149, "NY"], [150, 196, "PA"], [197, 199, "DE"], [200, 200, "DC"], [201, 201, "VA"],
  [202, 205, "DC"], [206, 219, "MD"], [220, 246, "VA"], [247, 268, "WV"], [270, 289, "NC"],
  [290, 299, "SC"], [300, 319, "GA"], [320, 339, "FL"], [341, 349, "FL"], [350, 369, "AL"],
  [370, 385, "TN"], [386, 397, "MS"], [398, 399, "GA"], [400, 427, "KY"], [430, 459, "OH"],
  [460, 479, "IN"], [480, 499, "MI"], [500, 528, "IA"], [530, 549, "WI"], [550, 567, "MN"],
  [569, 569, "DC"], [570, 577, "SD"], [580, 588, "ND"], [590, 599, "MT"], [600, 629, "IL"],
  [630, 658, "MO"], [660, 679, "KS"], [680, 693, "NE"], [700, 714, "LA"], [716, 729, "AR"],
  [730, 731, "OK"], [733, 733, "TX"], [734, 749, "OK"], [750, 799, "TX"], [800, 816, "CO"],
  [820, 831, "WY"], [832, 838, "ID"], [840, 847, "UT"], [850, 865, "AZ"], [870, 884, "NM"],
  [885, 885, "TX"], [889, 898, "NV"], [900, 961, "CA"], [967, 968, "HI"], [969, 969, "GU"],
  [970, 979, "OR"], [980, 994, "WA"], [995, 999, "AK"]
]

const zip5 = (zip: string | null): string | null => {
  const match = zip?.trim().match(/^(\d{5})(?:-?\d{4})?$/)
  return match ? match[1]! : null
}

/** The state of a ZIP code, or null when unknown (malformed, military, unassigned). */
export const stateOfZip = (zip: string | null): string | null => {
  const five = zip5(zip)
  if (five === null) return null
  if (five === "96799") return "AS"
  const prefix = Number(five.slice(0, 3))
  return ZIP3_RANGES.find(([from, to]) => prefix >= from && prefix <= to)?.[2] ?? null
}

/**
 * Narrowing of the two split states among our main markets, by ZIP prefix, only where the whole
 * prefix keeps one clock: Florida's 325 (Pensacola) is Central, 324 (Panama City) is mixed, the
 * rest Eastern; Texas's 799 and 885 (El Paso) are Mountain, 798 mixed, the rest Central.
 */
const narrowByZip = (state: string, zip: string): ReadonlyArray<string> | null => {
  const prefix = Number(zip.slice(0, 3))
  if (state === "FL") return prefix === 325 ? [CT] : prefix === 324 ? null : [ET]
  if (state === "TX") return prefix === 799 || prefix === 885 ? [MT] : prefix === 798 ? null : [CT]
  return null
}

const zonesOfState = (state: string, zip: string | null): ReadonlyArray<string> => {
  const all = STATE_TIME_ZONES[state] ?? US_TIME_ZONES
  return (zip !== null && narrowByZip(state, zip)) || all
}

const union = (...lists: ReadonlyArray<ReadonlyArray<string>>): ReadonlyArray<string> => [...new Set(lists.flat())]

/**
 * Zones of a postal address. No data at all (both null or blank) gives `[]`: the address says
 * nothing. A state or ZIP that is given but not recognised gives every US zone; a ZIP of another
 * state than the one given gives the zones of both.
 */
export const addressTimeZones = (state: string | null, zip: string | null): ReadonlyArray<string> => {
  const givenState = state !== null && state.trim() !== "" ? state : null
  const givenZip = zip !== null && zip.trim() !== "" ? zip : null
  if (givenState === null && givenZip === null) return []
  const code = normalizeState(givenState)
  const five = zip5(givenZip)
  const zipState = stateOfZip(givenZip)
  if (givenState !== null && code === null) return US_TIME_ZONES
  if (givenZip !== null && zipState === null && code === null) return US_TIME_ZONES
  if (code !== null && zipState !== null && zipState !== code) {
    return union(zonesOfState(code, null), zonesOfState(zipState, null))
  }
  return zonesOfState((code ?? zipState)!, five)
}

const areaCodes = (zones: ReadonlyArray<string>, codes: string) =>
  codes.split(" ").map((code) => [code, zones] as const)

/**
 * NANP area codes (including overlays) of NY, NJ, CT, PA, MA, FL, CA, TX and IL. Florida's 850
 * and 448 span the Apalachicola line, Texas's 432 reaches the Mountain-time corner of Culberson
 * County; those list both zones.
 */
const AREA_CODE_TIME_ZONES: ReadonlyMap<string, ReadonlyArray<string>> = new Map([
  ...areaCodes([ET], "212 315 329 332 347 363 516 518 585 607 624 631 646 680 716 718 838 845 914 917 929 934"),
  ...areaCodes([ET], "201 551 609 640 732 848 856 862 908 973"),
  ...areaCodes([ET], "203 475 860 959"),
  ...areaCodes([ET], "215 223 267 272 412 445 484 570 582 610 717 724 814 835 878"),
  ...areaCodes([ET], "339 351 413 508 617 774 781 857 978"),
  ...areaCodes([ET], "239 305 321 324 352 386 407 561 645 656 689 727 728 754 772 786 813 863 904 941 954"),
  ...areaCodes([ET, CT], "448 850"),
  ...areaCodes([PT], "209 213 279 310 323 341 350 408 415 424 442 510 530 559 562 619 626 628 650 657 661 669"),
  ...areaCodes([PT], "707 714 747 760 805 818 820 831 840 858 909 916 925 949 951"),
  ...areaCodes([CT], "210 214 254 281 325 346 361 409 430 469 512 682 713 726 737 806 817 830 832 903 936"),
  ...areaCodes([CT], "940 945 956 972 979"),
  ...areaCodes([CT, MT], "432"),
  ...areaCodes([MT], "915"),
  ...areaCodes([CT], "217 224 309 312 331 447 464 618 630 708 730 773 779 815 847 872")
])

/** The area code of a NANP number (E.164 `+1…`, or 10/11 digits), or null. */
export const areaCodeOf = (phone: string): string | null => {
  const trimmed = phone.trim()
  if (trimmed.startsWith("+") && !trimmed.startsWith("+1")) return null
  const digits = trimmed.replace(/\D/g, "")
  const national = digits.length === 11 && digits.startsWith("1") ? digits.slice(1) : digits
  return national.length === 10 && /^[2-9]/.test(national) ? national.slice(0, 3) : null
}

/** Zones of a phone number: `[]` without a number, every US zone for an unknown area code. */
export const phoneTimeZones = (phone: string | null): ReadonlyArray<string> => {
  if (phone === null || phone.trim() === "") return []
  const code = areaCodeOf(phone)
  return (code !== null && AREA_CODE_TIME_ZONES.get(code)) || US_TIME_ZONES
}

/** Every zone the consumer could be in; with no location data at all, every US zone. */
export const consumerTimeZones = (location: {
  readonly state: string | null
  readonly zip: string | null
  readonly phones: ReadonlyArray<string | null>
}): ReadonlyArray<string> => {
  const zones = union(addressTimeZones(location.state, location.zip), ...location.phones.map(phoneTimeZones))
  return zones.length > 0 ? zones : US_TIME_ZONES
}

export interface LocalDateTime {
  readonly date: CalendarDate
  readonly hour: number
  readonly minute: number
  readonly second: number
}

const formatters = new Map<string, Intl.DateTimeFormat>()
const formatterFor = (timeZone: string) => {
  let formatter = formatters.get(timeZone)
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit"
    })
    formatters.set(timeZone, formatter)
  }
  return formatter
}

/** The wall-clock date and time of an instant in a zone. */
export const localDateTime = (instant: Date, timeZone: string): LocalDateTime => {
  const parts = formatterFor(timeZone).formatToParts(instant)
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((part) => part.type === type)?.value)
  const pad = (n: number, width = 2) => String(n).padStart(width, "0")
  return {
    date: `${pad(get("year"), 4)}-${pad(get("month"))}-${pad(get("day"))}`,
    hour: get("hour") % 24,
    minute: get("minute"),
    second: get("second")
  }
}

const offsetMillis = (instant: Date, timeZone: string) => {
  const local = localDateTime(instant, timeZone)
  const [y, m, d] = local.date.split("-").map(Number)
  const wall = Date.UTC(y!, m! - 1, d!, local.hour, local.minute, local.second)
  return wall - Math.floor(instant.getTime() / 1000) * 1000
}

/**
 * The instant at which the wall clock in `timeZone` shows `date` `hour:minute`. A wall time inside
 * a daylight-saving gap or overlap resolves to a neighbouring instant; contact-hour boundaries
 * never fall in one (US clocks change at 02:00).
 */
export const zonedInstant = (date: CalendarDate, hour: number, minute: number, timeZone: string): Date => {
  const [y, m, d] = date.split("-").map(Number)
  const wall = Date.UTC(y!, m! - 1, d!, hour, minute)
  const first = wall - offsetMillis(new Date(wall), timeZone)
  const second = wall - offsetMillis(new Date(first), timeZone)
  return new Date(second)
}
