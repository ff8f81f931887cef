/**
 * Reference data for synthetic judgments (domain.md §6): real New York counties, cities and ZIPs,
 * the courts that sit there, the area codes that may carry 555-01NN numbers, and the reserved
 * email domains. Every organisation name here is fictional on purpose.
 */

/** Exemption tier of a county's homestead amount (CPLR 5206, domain.md §3). */
export type HomesteadTier = 150 | 125 | 75

export interface Place {
  readonly city: string
  readonly zips: ReadonlyArray<string>
}

export interface County {
  readonly name: string
  readonly state: "NY" | "NJ" | "CT"
  /** NY only. */
  readonly tier: HomesteadTier | null
  /** Relative share of debtors living there. */
  readonly weight: number
  readonly places: ReadonlyArray<Place>
  /** Area codes for debtors living there, all from the §6 list. */
  readonly areaCodes: ReadonlyArray<string>
  /** NYC Civil Court borough suffix of the index number. */
  readonly nycBorough?: "NY" | "KI" | "QU" | "BX" | "RI"
  /** City Courts sitting in the county. */
  readonly cityCourts?: ReadonlyArray<string>
  /** A District Court (Nassau, Suffolk). */
  readonly districtCourt?: string
}

const MANHATTAN = ["212", "646", "332", "917"]
const OUTER_BOROUGHS = ["718", "347", "929", "917"]

/** The area codes §6 allows, so the test can check every phone against them. */
export const AllowedAreaCodes: ReadonlyArray<string> = [
  "212", "646", "332", "718", "347", "929", "917", "516", "631", "914", "518", "585", "716", "315"
]

export const ReservedEmailDomains: ReadonlyArray<string> = [
  "example.com", "example.org", "example.net", "mail.test", "inbox.invalid"
]

export const NyCounties: ReadonlyArray<County> = [
  {
    name: "New York", state: "NY", tier: 150, weight: 9, areaCodes: MANHATTAN, nycBorough: "NY",
    places: [{ city: "New York", zips: ["10001", "10002", "10003", "10009", "10011", "10016", "10025", "10027", "10029", "10031", "10032", "10034", "10040"] }]
  },
  {
    name: "Kings", state: "NY", tier: 150, weight: 18, areaCodes: OUTER_BOROUGHS, nycBorough: "KI",
    places: [{ city: "Brooklyn", zips: ["11201", "11203", "11206", "11207", "11208", "11211", "11212", "11215", "11220", "11221", "11226", "11230", "11235", "11236"] }]
  },
  {
    name: "Queens", state: "NY", tier: 150, weight: 15, areaCodes: OUTER_BOROUGHS, nycBorough: "QU",
    places: [
      { city: "Jamaica", zips: ["11432", "11433", "11434", "11435", "11436"] },
      { city: "Flushing", zips: ["11354", "11355", "11358"] },
      { city: "Astoria", zips: ["11102", "11103", "11105", "11106"] },
      { city: "Long Island City", zips: ["11101"] },
      { city: "Far Rockaway", zips: ["11691"] },
      { city: "Jackson Heights", zips: ["11372"] },
      { city: "Elmhurst", zips: ["11373"] },
      { city: "Forest Hills", zips: ["11375"] }
    ]
  },
  {
    name: "Bronx", state: "NY", tier: 150, weight: 14, areaCodes: OUTER_BOROUGHS, nycBorough: "BX",
    places: [{ city: "Bronx", zips: ["10451", "10452", "10453", "10456", "10457", "10458", "10460", "10462", "10467", "10469", "10472", "10473"] }]
  },
  {
    name: "Richmond", state: "NY", tier: 150, weight: 4, areaCodes: OUTER_BOROUGHS, nycBorough: "RI",
    places: [{ city: "Staten Island", zips: ["10301", "10302", "10304", "10305", "10306", "10310", "10312", "10314"] }]
  },
  {
    name: "Nassau", state: "NY", tier: 150, weight: 8, areaCodes: ["516"], districtCourt: "District Court of Nassau County",
    places: [
      { city: "Hempstead", zips: ["11550"] },
      { city: "Freeport", zips: ["11520"] },
      { city: "Levittown", zips: ["11756"] },
      { city: "Valley Stream", zips: ["11580", "11581"] },
      { city: "Hicksville", zips: ["11801"] },
      { city: "Long Beach", zips: ["11561"] },
      { city: "Garden City", zips: ["11530"] },
      { city: "Elmont", zips: ["11003"] }
    ]
  },
  {
    name: "Suffolk", state: "NY", tier: 150, weight: 8, areaCodes: ["631"], districtCourt: "District Court of Suffolk County",
    places: [
      { city: "Brentwood", zips: ["11717"] },
      { city: "Central Islip", zips: ["11722"] },
      { city: "Huntington", zips: ["11743"] },
      { city: "Patchogue", zips: ["11772"] },
      { city: "Riverhead", zips: ["11901"] },
      { city: "Bay Shore", zips: ["11706"] },
      { city: "Medford", zips: ["11763"] }
    ]
  },
  {
    name: "Westchester", state: "NY", tier: 150, weight: 6, areaCodes: ["914"],
    cityCourts: ["Yonkers City Court", "White Plains City Court", "Mount Vernon City Court", "New Rochelle City Court"],
    places: [
      { city: "Yonkers", zips: ["10701", "10703", "10704", "10705"] },
      { city: "White Plains", zips: ["10601", "10603", "10606"] },
      { city: "Mount Vernon", zips: ["10550", "10552"] },
      { city: "New Rochelle", zips: ["10801", "10805"] },
      { city: "Peekskill", zips: ["10566"] }
    ]
  },
  {
    name: "Rockland", state: "NY", tier: 150, weight: 2, areaCodes: ["914"],
    places: [
      { city: "Spring Valley", zips: ["10977"] },
      { city: "Nyack", zips: ["10960"] },
      { city: "New City", zips: ["10956"] },
      { city: "Suffern", zips: ["10901"] },
      { city: "Haverstraw", zips: ["10927"] }
    ]
  },
  {
    name: "Putnam", state: "NY", tier: 150, weight: 1, areaCodes: ["914"],
    places: [
      { city: "Carmel", zips: ["10512"] },
      { city: "Brewster", zips: ["10509"] },
      { city: "Mahopac", zips: ["10541"] },
      { city: "Cold Spring", zips: ["10516"] }
    ]
  },
  {
    name: "Albany", state: "NY", tier: 125, weight: 3, areaCodes: ["518"], cityCourts: ["Albany City Court", "Cohoes City Court"],
    places: [
      { city: "Albany", zips: ["12202", "12203", "12205", "12206", "12208", "12209", "12210"] },
      { city: "Cohoes", zips: ["12047"] },
      { city: "Watervliet", zips: ["12189"] }
    ]
  },
  {
    name: "Dutchess", state: "NY", tier: 125, weight: 2, areaCodes: ["914"], cityCourts: ["Poughkeepsie City Court", "Beacon City Court"],
    places: [
      { city: "Poughkeepsie", zips: ["12601", "12603"] },
      { city: "Beacon", zips: ["12508"] },
      { city: "Wappingers Falls", zips: ["12590"] },
      { city: "Hyde Park", zips: ["12538"] }
    ]
  },
  {
    name: "Orange", state: "NY", tier: 125, weight: 3, areaCodes: ["914"], cityCourts: ["Newburgh City Court", "Middletown City Court"],
    places: [
      { city: "Newburgh", zips: ["12550"] },
      { city: "Middletown", zips: ["10940"] },
      { city: "Goshen", zips: ["10924"] },
      { city: "Port Jervis", zips: ["12771"] },
      { city: "Monroe", zips: ["10950"] }
    ]
  },
  {
    name: "Erie", state: "NY", tier: 75, weight: 4, areaCodes: ["716"], cityCourts: ["Buffalo City Court", "Lackawanna City Court"],
    places: [
      { city: "Buffalo", zips: ["14201", "14207", "14208", "14211", "14213", "14214", "14215", "14216"] },
      { city: "Cheektowaga", zips: ["14225", "14227"] },
      { city: "Tonawanda", zips: ["14150"] },
      { city: "Lackawanna", zips: ["14218"] },
      { city: "Hamburg", zips: ["14075"] }
    ]
  },
  {
    name: "Monroe", state: "NY", tier: 75, weight: 3, areaCodes: ["585"], cityCourts: ["Rochester City Court"],
    places: [
      { city: "Rochester", zips: ["14605", "14606", "14607", "14609", "14611", "14613", "14619", "14621", "14626"] },
      { city: "Brockport", zips: ["14420"] },
      { city: "Webster", zips: ["14580"] }
    ]
  },
  {
    name: "Onondaga", state: "NY", tier: 75, weight: 2, areaCodes: ["315"], cityCourts: ["Syracuse City Court"],
    places: [
      { city: "Syracuse", zips: ["13202", "13203", "13204", "13205", "13206", "13207", "13208", "13210"] },
      { city: "Liverpool", zips: ["13088"] },
      { city: "Baldwinsville", zips: ["13027"] }
    ]
  }
]

/** Out-of-state debtors: their ZIPs start with 0 (NJ 07xxx, CT 06xxx). */
export const OutOfStateCounties: ReadonlyArray<County> = [
  { name: "Essex", state: "NJ", tier: null, weight: 1, areaCodes: ["917"], places: [{ city: "Newark", zips: ["07102", "07104", "07106", "07108"] }] },
  { name: "Hudson", state: "NJ", tier: null, weight: 1, areaCodes: ["917", "646"], places: [{ city: "Jersey City", zips: ["07302", "07304", "07305", "07306"] }, { city: "Hoboken", zips: ["07030"] }] },
  { name: "Bergen", state: "NJ", tier: null, weight: 1, areaCodes: ["917"], places: [{ city: "Hackensack", zips: ["07601"] }, { city: "Fort Lee", zips: ["07024"] }] },
  { name: "Union", state: "NJ", tier: null, weight: 0.5, areaCodes: ["917"], places: [{ city: "Elizabeth", zips: ["07201", "07202", "07206"] }] },
  { name: "Fairfield", state: "CT", tier: null, weight: 1, areaCodes: ["914", "917"], places: [{ city: "Stamford", zips: ["06901", "06902", "06905"] }, { city: "Bridgeport", zips: ["06604", "06606", "06608"] }, { city: "Norwalk", zips: ["06850", "06851"] }] },
  { name: "Hartford", state: "CT", tier: null, weight: 0.5, areaCodes: ["917"], places: [{ city: "Hartford", zips: ["06106", "06112", "06114"] }] },
  { name: "New Haven", state: "CT", tier: null, weight: 0.5, areaCodes: ["917"], places: [{ city: "New Haven", zips: ["06511", "06513"] }] }
]

export const supremeCourt = (county: string) => `Supreme Court of the State of New York, County of ${county}`
export const nycCivilCourt = (county: string) => `Civil Court of the City of New York, County of ${county}`
export const countyCourt = (county: string) => `${county} County Court`

/** Words that make an organisation name obviously fictional. */
export const FictionalPrefixes: ReadonlyArray<string> = [
  "Example", "Sample", "Demo", "Placeholder", "Fictional", "Mock", "Specimen", "Testbed"
]

export type PlaintiffKind = "debt_buyer" | "medical" | "landlord" | "lender"

/** Plaintiff name bodies: prefix + body, then " (TEST)". */
export const PlaintiffBodies: ReadonlyArray<{ readonly body: string; readonly kind: PlaintiffKind }> = [
  { body: "Funding LLC", kind: "debt_buyer" },
  { body: "Receivables LLC", kind: "debt_buyer" },
  { body: "Capital Partners LLC", kind: "debt_buyer" },
  { body: "Debt Holdings LP", kind: "debt_buyer" },
  { body: "Account Purchasing LLC", kind: "debt_buyer" },
  { body: "Medical PC", kind: "medical" },
  { body: "Radiology PC", kind: "medical" },
  { body: "Dental Group PC", kind: "medical" },
  { body: "Community Hospital Inc.", kind: "medical" },
  { body: "Realty LLC", kind: "landlord" },
  { body: "Property Management Corp.", kind: "landlord" },
  { body: "Auto Finance LLC", kind: "lender" },
  { body: "Federal Credit Union", kind: "lender" },
  { body: "Lending Co.", kind: "lender" }
]

/** Original creditors behind debt buyers' accounts: fictional like the plaintiffs. */
export const FictionalCreditors: ReadonlyArray<string> = [
  "Example Card Services (TEST)",
  "Sample Bank Card Co. (TEST)",
  "Demo Wireless Inc. (TEST)",
  "Placeholder Telecom LLC (TEST)",
  "Mock Auto Credit (TEST)",
  "Sample Department Store Card (TEST)",
  "Example Student Lending (TEST)",
  "Fictional Furniture Outlet (TEST)",
  "Specimen Utilities Co. (TEST)",
  "Example Personal Loans LLC (TEST)"
]

export const FictionalBanks: ReadonlyArray<string> = [
  "Example National Bank",
  "Sample Savings Bank",
  "Demo Federal Credit Union",
  "Placeholder Community Bank",
  "Example Trust Company",
  "Mock Savings and Loan",
  "Specimen State Bank",
  "Sample Bank, N.A."
]

/** Trades of small businesses (debtors and employers). */
export const Trades: ReadonlyArray<string> = [
  "Plumbing", "Deli", "Auto Repair", "Construction", "Cleaning Services", "Trucking", "Catering", "Hardware",
  "Landscaping", "Electric", "Painting", "Bakery", "Flooring", "Roofing", "Pizzeria", "Laundromat", "Contracting",
  "Home Care", "Logistics", "Staffing", "Security Services", "Moving", "Printing", "Dry Cleaning"
]

export const EntityTypes: ReadonlyArray<string> = ["LLC", "Inc.", "Corp.", "Co.", "Group LLC"]

export const StreetSuffixes: ReadonlyArray<string> = [
  "Street", "Avenue", "Road", "Place", "Drive", "Lane", "Court", "Boulevard", "Terrace", "Parkway"
]

/** Simplicity-style action codes (our own vocabulary; no public list exists). */
export const ActionCodes: ReadonlyArray<string> = [
  "SKIP", "INFOSUB", "RESTRAINT", "INCEXEC", "BANKLEVY", "PROPEXEC", "MARSHAL", "PAYPLAN", "SETTLE", "RENEWAL",
  "DEMAND", "HOLD"
]
