/** A scoped grant as a reviewer asks for it with an approval: how many uses, for how long ("4h"). */
export interface GrantAsked {
  uses: number;
  for: string;
}
