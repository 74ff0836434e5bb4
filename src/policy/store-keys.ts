/** A store section's key: an email integration's id (`"6612"`) or its address. */
export function storeKeyKindOf(key: string): 'integration' | 'address' | null {
  if (/^\d+$/.test(key.trim())) return 'integration';
  if (/^[^\s@]+@[^\s@]+$/.test(key.trim())) return 'address';
  return null;
}
