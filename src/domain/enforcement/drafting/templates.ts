import type { DraftDocument, DraftKind, DraftRecord } from "./DraftRecord.js"

/** What a prose slot holds: a paragraph, or a list of questions. */
export type ProseValue = string | ReadonlyArray<string>
export type ProseValues = Readonly<Record<string, ProseValue>>

/** A slot whose words may come from a model; every other slot is filled from the record. */
export interface ProseSlot {
  readonly name: string
  readonly form: "paragraph" | "questions"
  /** What the model is asked to write. */
  readonly instruction: string
  /** The vetted wording used when no model is involved. */
  readonly vetted: ProseValue
}

/** Fixed, attorney-vetted text with `{{slot}}` placeholders. */
export interface Template {
  readonly id: string
  readonly version: string
  readonly kind: DraftKind
  readonly title: string
  readonly text: string
  readonly prose: ReadonlyArray<ProseSlot>
}

const NOT_ON_FILE = "[not on file]"

const MONTHS = [
  "January", "February", "March", "April", "May", "June",
  "July", "August", "September", "October", "November", "December"
] as const

/** 1234567 → `$12,345.67` */
export const formatCents = (cents: number) => {
  const dollars = Math.trunc(cents / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",")
  return `$${dollars}.${(cents % 100).toString().padStart(2, "0")}`
}

/** `2024-01-05` → `January 5, 2024` */
export const formatLongDate = (iso: string) => {
  const [year, month, day] = iso.split("-").map(Number)
  return `${MONTHS[month! - 1]} ${day}, ${year}`
}

/** 9 → `9%`, 2.5 → `2.5%` */
export const formatRate = (percent: number) => `${percent}%`

const orNotOnFile = (value: string | null) => (value === null || value.trim() === "" ? NOT_ON_FILE : value)

const courtOf = (record: DraftRecord) => {
  const { name, county } = record.court
  const countyPart = county === null || county.trim() === ""
    ? null
    : /\bcounty$/i.test(county.trim()) ? county.trim() : `${county.trim()} County`
  const parts = [name?.trim() || null, countyPart].filter((part) => part !== null)
  return parts.length === 0 ? NOT_ON_FILE : parts.join(", ")
}

const DEBTOR_QUESTIONS = [
  "State your full name, every other name you have used, and your residence address.",
  "State the name and address of your present employer, your position, and your gross and net pay per pay period.",
  "State the name and address of every bank, credit union or other financial institution at which you have, or have had within the past year, an account of any kind, alone or jointly with another person, and the number of each account.",
  "State whether you own or have an interest in any real property and, if so, its address, the names of any co-owners and the holder of any mortgage.",
  "State whether you own any motor vehicle and, if so, its make, model and year and the name of any lienholder.",
  "State whether any person or business owes you money and, if so, the name and address of each of them.",
  "State every other source of your income, including pensions, annuities, rents and business interests.",
  "State whether you have transferred any property to another person since the judgment was entered and, if so, describe the property and identify that person."
] as const

const GARNISHEE_QUESTIONS = [
  "State whether the judgment debtor maintains, or has maintained within the past year, any account with you, alone or jointly with another person, and for each account state its number and type, the names of all account holders, and its current balance.",
  "State whether you lease a safe deposit box to the judgment debtor, alone or jointly with another person, and where it is located.",
  "State whether you hold any other property in which the judgment debtor has an interest, including certificates of deposit, securities and loan collateral, and describe it.",
  "State the judgment debtor's last known residence address and telephone number as shown in your records.",
  "State the name and address of any employer of the judgment debtor, and of the source of any direct deposit to the judgment debtor's accounts, as shown in your records.",
  "State whether any account of the judgment debtor is now restrained and, if so, at whose request."
] as const

const standardQuestions = (record: DraftRecord): ReadonlyArray<string> =>
  record.garnishee === null ? DEBTOR_QUESTIONS : GARNISHEE_QUESTIONS

const numbered = (questions: ReadonlyArray<string>, first: number) =>
  questions.map((question, index) => `${first + index}. ${question}`).join("\n")

/** The values of the record slots; every template uses some of them. */
const recordSlots = (record: DraftRecord): Record<string, string> => {
  const toGarnishee = record.garnishee !== null
  const dueDate = record.dueDate === null ? null : formatLongDate(record.dueDate)
  return {
    action: record.action,
    plaintiff_name: record.plaintiff.name,
    debtor_name: record.debtor.name,
    debtor_address: orNotOnFile(record.debtor.address),
    court: courtOf(record),
    index_number: orNotOnFile(record.indexNumber),
    case_number: orNotOnFile(record.caseNumber),
    judgment_date: formatLongDate(record.judgmentDate),
    judgment_amount: formatCents(record.judgmentAmountCents),
    amount_due: formatCents(record.amountDueCents),
    interest_rate: formatRate(record.interestRatePercent),
    garnishee: record.garnishee ?? "none (the action targets the judgment debtor)",
    due_date: dueDate ?? NOT_ON_FILE,
    recipient: record.garnishee ?? record.debtor.name,
    recipient_address: toGarnishee ? "" : orNotOnFile(record.debtor.address),
    recipient_role: toGarnishee ? "a person other than the judgment debtor (CPLR 5224(a)(3))" : "the judgment debtor",
    certification: toGarnishee
      ? "CERTIFICATION (CPLR 5224(a)(3)(i)): The undersigned attorney certifies that the judgment creditor has a reasonable belief that the party receiving this subpoena has in its possession information about the judgment debtor that will assist the judgment creditor in collecting the judgment."
      : "",
    standard_questions: numbered(standardQuestions(record), 1),
    subpoena_due_note: dueDate === null ? "" : `For the judgment creditor's records, the answers are expected by ${dueDate}.`,
    response_deadline: dueDate === null
      ? "Please respond within the time stated in the enclosed papers."
      : `Please respond no later than ${dueDate}.`
  }
}

export const informationSubpoena: Template = {
  id: "information_subpoena",
  version: "1",
  kind: "information_subpoena",
  title: "Information subpoena (CPLR 5224): {{plaintiff_name}} v. {{debtor_name}}",
  text: `{{court}}
{{plaintiff_name}}, Plaintiff (Judgment Creditor),
against
{{debtor_name}}, Defendant (Judgment Debtor).
Index No. {{index_number}}
Case No. {{case_number}}

INFORMATION SUBPOENA WITH QUESTIONS (CPLR 5224)

THE PEOPLE OF THE STATE OF NEW YORK
TO: {{recipient}}, {{recipient_role}}

WHEREAS, in an action in {{court}}, a judgment was entered on {{judgment_date}} in favor of {{plaintiff_name}}, judgment creditor, and against {{debtor_name}}, judgment debtor, whose last known address is {{debtor_address}}, in the amount of {{judgment_amount}}; and the amount now due is {{amount_due}}, with post-judgment interest accruing at {{interest_rate}} per annum;

NOW, THEREFORE, WE COMMAND YOU to answer in writing under oath, separately and fully, each of the questions below, each answer referring to the question to which it responds, and to return the answers together with the original questions within seven days after you receive them. A copy of the questions and a prepaid, addressed return envelope are enclosed.

TAKE NOTICE that false swearing or failure to comply with this subpoena is punishable as a contempt of court.

{{certification}}

QUESTIONS
{{standard_questions}}
{{additional_questions}}

{{subpoena_due_note}}

Dated: ____________________

______________________________
Attorney for the Judgment Creditor, an officer of the court
(Not to be served until signed by the attorney.)`,
  prose: [{
    name: "additional_questions",
    form: "questions",
    instruction:
      "Up to 5 additional questions, specific to the proposed action and the recipient, that the standard questions do not already ask. Each is one sentence starting with 'State'. No numbering, amounts, dates or deadlines. An empty list is acceptable.",
    vetted: []
  }]
}

export const coverLetter: Template = {
  id: "cover_letter",
  version: "1",
  kind: "cover_letter",
  title: "Cover letter: {{action}}, {{plaintiff_name}} v. {{debtor_name}}",
  text: `{{recipient}}
{{recipient_address}}

Re: {{plaintiff_name}} v. {{debtor_name}}
{{court}}, Index No. {{index_number}}
Enclosed: {{action}}

Dear Sir or Madam:

{{opening_paragraph}}

The judgment was entered on {{judgment_date}} in the amount of {{judgment_amount}}. The amount now due is {{amount_due}}, with post-judgment interest accruing at {{interest_rate}} per annum.

{{response_deadline}}

{{closing_paragraph}}

Very truly yours,

______________________________
Attorney for {{plaintiff_name}}
(Not to be sent until signed by the attorney.)`,
  prose: [
    {
      name: "opening_paragraph",
      form: "paragraph",
      instruction:
        "Two or three sentences addressed to the recipient: who we represent and what the enclosed papers are, given the proposed action. No amounts, dates, interest rates or deadlines.",
      vetted:
        "We represent the judgment creditor in the matter referenced above. Enclosed please find the papers described above, which are served in connection with the enforcement of the judgment."
    },
    {
      name: "closing_paragraph",
      form: "paragraph",
      instruction:
        "One or two courteous sentences inviting questions and asking that the index number be quoted. No amounts, dates, interest rates, deadlines or threats.",
      vetted:
        "If you have any questions about the enclosed papers, please contact our office and refer to the index number above."
    }
  ]
}

export const attorneySummary: Template = {
  id: "attorney_summary",
  version: "1",
  kind: "attorney_summary",
  title: "Attorney summary: {{action}}, {{plaintiff_name}} v. {{debtor_name}}",
  text: `ATTORNEY REVIEW SUMMARY (draft for review and signature)

Proposed action: {{action}}
Judgment creditor: {{plaintiff_name}}
Judgment debtor: {{debtor_name}}
Debtor address: {{debtor_address}}
Court: {{court}}
Index No.: {{index_number}}
Case No.: {{case_number}}
Judgment entered: {{judgment_date}}
Judgment amount: {{judgment_amount}}
Amount now due: {{amount_due}}
Post-judgment interest rate: {{interest_rate}} per annum
Garnishee: {{garnishee}}
Response due: {{due_date}}

Summary
{{narrative}}

The legal gates, the interest rate, the amounts and the deadlines above come from the case record and the planning rules; this summary does not change them. A licensed attorney must review and sign before anything is sent.`,
  prose: [{
    name: "narrative",
    form: "paragraph",
    instruction:
      "A short neutral paragraph (at most 120 words) for the reviewing attorney: what the proposed action is, whom it targets, and what the attorney should check before signing. Do not decide whether the action is permitted and do not state amounts, dates, interest rates or deadlines.",
    vetted:
      "The enforcement planner proposed the action above from the case record. Please review the record, the legal gates and the draft papers before signing."
  }]
}

export const templates: Readonly<Record<DraftKind, Template>> = {
  information_subpoena: informationSubpoena,
  cover_letter: coverLetter,
  attorney_summary: attorneySummary
}

const SLOT = /\{\{(\w+)\}\}/g

/** The slot names a template uses, in order of first appearance. */
export const slotNames = (template: Template): ReadonlyArray<string> => [
  ...new Set([...`${template.title}\n${template.text}`.matchAll(SLOT)].map((match) => match[1]!))
]

const proseText = (slot: ProseSlot, value: ProseValue, record: DraftRecord) => {
  if (slot.form === "paragraph") return typeof value === "string" ? value : value.join(" ")
  const questions = typeof value === "string" ? [value] : value
  return numbered(questions, standardQuestions(record).length + 1)
}

/** Replaces every slot; a line holding nothing but an empty slot is dropped. */
const render = (text: string, fields: Readonly<Record<string, string>>) =>
  text.split("\n").flatMap((line) => {
    const alone = /^\{\{(\w+)\}\}$/.exec(line.trim())
    if (alone !== null && fields[alone[1]!] === "") return []
    return [line.replace(SLOT, (_, name: string) => {
      const value = fields[name]
      // templates are constants checked by the tests, so this is a programming error
      if (value === undefined) throw new Error(`template slot {{${name}}} has no value`)
      return value
    })]
  }).join("\n")

/**
 * Fills `template`: record slots from `record`, prose slots from `prose` (the vetted wording where
 * `prose` has none). A prose value can never replace a record slot.
 */
export const fillSlots = (
  template: Template,
  record: DraftRecord,
  prose: ProseValues = {}
): Pick<DraftDocument, "title" | "body" | "fields"> => {
  const proseFields = Object.fromEntries(
    template.prose.map((slot) => [slot.name, proseText(slot, prose[slot.name] ?? slot.vetted, record)])
  )
  const available = { ...proseFields, ...recordSlots(record) }
  const fields = Object.fromEntries(slotNames(template).map((name) => [name, available[name] ?? ""]))
  return { title: render(template.title, available), body: render(template.text, available), fields }
}

/** The deterministic draft: vetted text and record values only, no model. */
export const fillTemplate = (kind: DraftKind, record: DraftRecord): DraftDocument => {
  const template = templates[kind]
  return {
    kind,
    templateId: template.id,
    templateVersion: template.version,
    method: "template",
    promptVersion: null,
    model: null,
    ...fillSlots(template, record)
  }
}
