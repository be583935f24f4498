import { FEEDBACK_LABELS } from "./labels.js";

/** `babymon/<deviceId>/set/feedback` under the daemon's topic root. */
export const feedbackTopic = (root: string) => `${root}/set/feedback`;

export interface LearningEntity {
  component: "button" | "select" | "sensor";
  objectId: string;
  name: string;
  config(topics: { setFeedback: string; health: string }): Record<string, unknown>;
}

/**
 * The Home Assistant entities of the feedback (as data; the discovery adds the device block, availability and
 * ids): a "Not a cry" button and a "What was it?" select, both for the current or last episode. An automation or
 * a notification action gives a specific episode with `{"episode_id": "…", "label": "…"}` on the same topic
 * (the `cry` event carries `episode_id`).
 */
export const LEARNING_ENTITIES: readonly LearningEntity[] = [
  {
    component: "button",
    objectId: "not_a_cry",
    name: "Not a cry",
    config: ({ setFeedback }) => ({
      command_topic: setFeedback,
      payload_press: JSON.stringify({ episode_id: "last", label: "not_cry" }),
      icon: "mdi:cat",
    }),
  },
  {
    component: "select",
    objectId: "what_was_it",
    name: "What was it?",
    config: ({ setFeedback }) => ({
      command_topic: setFeedback,
      command_template: '{"episode_id": "last", "label": "{{ value }}"}',
      options: [...FEEDBACK_LABELS],
      optimistic: true,
      icon: "mdi:comment-question-outline",
    }),
  },
  {
    component: "sensor",
    objectId: "learning",
    name: "Learning",
    config: ({ health }) => ({
      entity_category: "diagnostic",
      state_topic: health,
      value_template: "{{ value_json.learning if value_json.learning is defined else 'off' }}",
      icon: "mdi:school-outline",
    }),
  },
];
