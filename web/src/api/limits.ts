// The server's length limits, for the forms' maxLength and their hints. Each is checked against the server's rule by
// tests/TaskHub.Tests/Operations/WebFormLimitsTests.cs, which also fails on a number written into a form's maxLength.
export const limits = {
  /** LabelRules.NameMax */
  labelName: 40,
  /** ChecklistRules.TextMax */
  checklistItem: 500,
  /** CommentRules.BodyMax */
  comment: 10_000,
  /** TaskRules.TitleMax */
  taskTitle: 200,
  /** BoardRules.NameMax */
  boardName: 100,
  /** ApiTokenRules.NameMax */
  tokenName: 100,
  /** WebhookRules.SecretMin */
  webhookSecretMin: 16,
  /** WebhookRules.SecretMax */
  webhookSecretMax: 200,
} as const;
