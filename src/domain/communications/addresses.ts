/** A NANP phone number as E.164 (`(212) 555-0142` → `+12125550142`); null when it is not one. */
export const toE164 = (phone: string | null): string | null => {
  if (phone === null) return null
  const digits = phone.replace(/\D/g, "")
  if (digits.length === 10) return `+1${digits}`
  if (digits.length === 11 && digits.startsWith("1")) return `+${digits}`
  return null
}

/** Email addresses compare case-insensitively (in practice, whatever RFC 5321 says of the local part). */
export const normaliseEmail = (email: string | null): string | null => {
  const trimmed = email?.trim().toLowerCase() ?? ""
  return trimmed.includes("@") ? trimmed : null
}
