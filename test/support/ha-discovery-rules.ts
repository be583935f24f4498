/**
 * Home Assistant's own rules for MQTT discovery payloads, transcribed from HA's source (home-assistant/core, files
 * named at each rule) so a test can hold every payload babymon publishes against them. Each returns the list of
 * violations (empty = HA accepts it), each naming the value, the rule and the HA file it comes from.
 */

// homeassistant/components/mqtt/discovery.py:
//   TOPIC_MATCHER = re.compile(r"(?P<component>\w+)/(?:(?P<node_id>[a-zA-Z0-9_-]+)/)"
//                              r"?(?P<object_id>[a-zA-Z0-9_-]+)/config")
//   ... subscribed as f"{discovery_topic}/{component}/+/config" and f"{discovery_topic}/{component}/+/+/config"
//   for component in SUPPORTED_COMPONENTS, and f"{discovery_topic}/device/+/config"
const TOPIC_MATCHER =
  /^(?<component>\w+)\/(?:(?<node_id>[a-zA-Z0-9_-]+)\/)?(?<object_id>[a-zA-Z0-9_-]+)\/config$/;

// homeassistant/components/mqtt/const.py: SUPPORTED_COMPONENTS = ( ... )
export const SUPPORTED_COMPONENTS = new Set(
  (
    "alarm_control_panel binary_sensor button camera climate cover date datetime device_automation " +
    "device_tracker event fan humidifier image lawn_mower light lock notify number scene siren select " +
    "sensor switch tag text time update vacuum valve water_heater"
  ).split(" "),
);

// homeassistant/components/mqtt/abbreviations.py: "dev": "device", "o": "origin", "cmps": "components",
// "p": "platform" (top level and component scope); discovery.py `_replace_all_abbreviations`
const ABBREVIATIONS: Record<string, string> = {
  dev: "device",
  o: "origin",
  cmps: "components",
  p: "platform",
};

// homeassistant/components/mqtt/const.py: AVAILABILITY_MODES = [AVAILABILITY_ALL, AVAILABILITY_ANY, AVAILABILITY_LATEST]
const AVAILABILITY_MODES = new Set(["all", "any", "latest"]);

// homeassistant/components/mqtt/schemas.py: SHARED_OPTIONS — device-level options a component inherits unless it
// sets them itself (discovery.py `_merge_common_device_options`)
const SHARED_OPTIONS =
  "availability availability_mode availability_template availability_topic command_topic payload_available payload_not_available state_topic".split(
    " ",
  );

// homeassistant/components/binary_sensor/__init__.py: class BinarySensorDeviceClass(StrEnum)
const BINARY_SENSOR_DEVICE_CLASSES = new Set(
  (
    "battery battery_charging carbon_monoxide cold connectivity door garage_door gas heat light lock " +
    "moisture motion moving occupancy opening plug power presence problem running safety smoke sound " +
    "tamper update vibration window"
  ).split(" "),
);

// homeassistant/components/sensor/const.py: DEVICE_CLASS_UNITS (the classes babymon could plausibly use) —
//   SensorDeviceClass.DURATION: {UnitOfTime.DAYS, HOURS, MINUTES, SECONDS, MILLISECONDS, MICROSECONDS},
//   SensorDeviceClass.SOUND_PRESSURE: set(UnitOfSoundPressure),   # homeassistant/const.py: "dB", "dBA"
//   SensorDeviceClass.SIGNAL_STRENGTH: {SIGNAL_STRENGTH_DECIBELS, SIGNAL_STRENGTH_DECIBELS_MILLIWATT},  # dB, dBm
//   SensorDeviceClass.BATTERY: {PERCENTAGE}, SensorDeviceClass.HUMIDITY: {PERCENTAGE}
// and classes without units: DATE, ENUM, TIMESTAMP take no unit_of_measurement (sensor/__init__.py raises
// "Sensor ... has a unit of measurement and thus indicating it has a numeric value; however, it has the
// non-numeric device class")
const DEVICE_CLASS_UNITS: Record<string, Set<string>> = {
  duration: new Set(["d", "h", "min", "s", "ms", "μs"]),
  sound_pressure: new Set(["dB", "dBA"]),
  signal_strength: new Set(["dB", "dBm"]),
  battery: new Set(["%"]),
  humidity: new Set(["%"]),
};
const NON_NUMERIC_DEVICE_CLASSES = new Set(["date", "enum", "timestamp"]);
// homeassistant/components/sensor/const.py: DEVICE_CLASS_STATE_CLASSES —
//   SensorDeviceClass.DATE: set(), SensorDeviceClass.ENUM: set(), SensorDeviceClass.TIMESTAMP: set(),
//   SensorDeviceClass.DURATION: set(SensorStateClass), SensorDeviceClass.SOUND_PRESSURE: {SensorStateClass.MEASUREMENT}
const DEVICE_CLASS_STATE_CLASSES: Record<string, Set<string>> = {
  date: new Set(),
  enum: new Set(),
  timestamp: new Set(),
  duration: new Set(["measurement", "total", "total_increasing"]),
  sound_pressure: new Set(["measurement"]),
};
// homeassistant/components/sensor/const.py: class SensorStateClass: MEASUREMENT, MEASUREMENT_ANGLE, TOTAL, TOTAL_INCREASING
const STATE_CLASSES = new Set(["measurement", "measurement_angle", "total", "total_increasing"]);
// homeassistant/const.py: class EntityCategory(StrEnum): CONFIG = "config", DIAGNOSTIC = "diagnostic"
const ENTITY_CATEGORIES = new Set(["config", "diagnostic"]);

// biome-ignore lint/suspicious/noExplicitAny: discovery payloads are free-form JSON
type Json = any;

function expand(payload: Record<string, Json>): Record<string, Json> {
  return Object.fromEntries(Object.entries(payload).map(([k, v]) => [ABBREVIATIONS[k] ?? k, v]));
}

const isTopic = (t: unknown) => typeof t === "string" && t.length > 0 && !/[#+]/.test(t);

function checkDevice(where: string, device: Json, out: string[]): void {
  // schemas.py MQTT_ENTITY_DEVICE_INFO_SCHEMA + validate_device_has_at_least_one_identifier:
  //   "Device must have at least one identifying value in 'identifiers' and/or 'connections'"
  if (!device || typeof device !== "object") {
    out.push(`${where}: expected a device block, got ${JSON.stringify(device)} (mqtt/schemas.py)`);
    return;
  }
  const ids = [device.identifiers ?? []].flat();
  const cns = [device.connections ?? []].flat();
  if (ids.length === 0 && cns.length === 0)
    out.push(
      `${where}: device has no identifiers or connections (mqtt/schemas.py validate_device_has_at_least_one_identifier)`,
    );
  for (const key of ["name", "manufacturer", "model", "sw_version", "hw_version", "configuration_url"]) {
    if (key in device && typeof device[key] !== "string")
      out.push(
        `${where}: device.${key} must be a string, got ${JSON.stringify(device[key])} (mqtt/schemas.py)`,
      );
  }
}

function checkOrigin(where: string, origin: Json, out: string[]): void {
  // schemas.py MQTT_ORIGIN_INFO_SCHEMA: vol.Required(CONF_NAME): cv.string
  if (!origin || typeof origin.name !== "string" || origin.name === "")
    out.push(
      `${where}: origin.name is required, got ${JSON.stringify(origin)} (mqtt/schemas.py MQTT_ORIGIN_INFO_SCHEMA)`,
    );
}

function checkAvailability(where: string, c: Json, out: string[]): void {
  // schemas.py MQTT_AVAILABILITY_LIST_SCHEMA: each entry vol.Required(CONF_TOPIC): valid_subscribe_topic;
  // availability_mode vol.In(AVAILABILITY_MODES); vol.Exclusive(CONF_AVAILABILITY_TOPIC / CONF_AVAILABILITY)
  if (c.availability !== undefined) {
    if (!Array.isArray(c.availability) || c.availability.some((a: Json) => !isTopic(a?.topic)))
      out.push(
        `${where}: every availability entry needs a topic, got ${JSON.stringify(c.availability)} (mqtt/schemas.py)`,
      );
    if ("availability_topic" in c)
      out.push(`${where}: availability and availability_topic are exclusive (mqtt/schemas.py)`);
  }
  if (c.availability_mode !== undefined && !AVAILABILITY_MODES.has(c.availability_mode))
    out.push(
      `${where}: availability_mode ${JSON.stringify(c.availability_mode)} not in all/any/latest (mqtt/const.py)`,
    );
}

/** One component's config as HA sees it after abbreviations and shared options are resolved. */
export function checkComponent(where: string, platform: string, c: Json): string[] {
  const out: string[] = [];
  if (!SUPPORTED_COMPONENTS.has(platform))
    out.push(`${where}: platform ${JSON.stringify(platform)} not in SUPPORTED_COMPONENTS (mqtt/const.py)`);
  checkAvailability(where, c, out);
  if (c.qos !== undefined && ![0, 1, 2].includes(c.qos))
    out.push(`${where}: qos ${c.qos} not 0, 1 or 2 (mqtt/util.py valid_qos_schema)`);
  if (platform === "device_automation") {
    // mqtt/device_trigger.py TRIGGER_DISCOVERY_SCHEMA: Required automation_type, device, subtype, topic, type
    for (const key of ["automation_type", "subtype", "topic", "type"])
      if (typeof c[key] !== "string" || c[key] === "")
        out.push(
          `${where}: device trigger needs ${key} (a string), got ${JSON.stringify(c[key])} (mqtt/device_trigger.py TRIGGER_DISCOVERY_SCHEMA)`,
        );
    if (c.automation_type !== "trigger")
      out.push(`${where}: automation_type must be "trigger" (mqtt/device_automation.py)`);
    checkDevice(where, c.device, out);
    return out;
  }
  // mixins/entity.py (discovery migration): "A unique_id and device context is required"
  if (typeof c.unique_id !== "string" || c.unique_id === "")
    out.push(`${where}: unique_id is required for migration (mqtt/entity.py)`);
  checkDevice(where, c.device, out);
  if (c.entity_category !== undefined && !ENTITY_CATEGORIES.has(c.entity_category))
    out.push(
      `${where}: entity_category ${JSON.stringify(c.entity_category)} not config/diagnostic (homeassistant/const.py EntityCategory)`,
    );
  if (c.enabled_by_default !== undefined && typeof c.enabled_by_default !== "boolean")
    out.push(`${where}: enabled_by_default must be a boolean (mqtt/schemas.py MQTT_ENTITY_COMMON_SCHEMA)`);
  if (c.json_attributes_template !== undefined && !isTopic(c.json_attributes_topic))
    out.push(
      `${where}: json_attributes_template without json_attributes_topic (mqtt/mixins.py MqttAttributesMixin)`,
    );
  const needsState = ["binary_sensor", "sensor", "event"].includes(platform);
  if (needsState && !isTopic(c.state_topic))
    out.push(`${where}: ${platform} needs a state_topic (mqtt/config.py MQTT_RO_SCHEMA)`);
  if (["switch", "number", "select", "button"].includes(platform) && !isTopic(c.command_topic))
    out.push(`${where}: ${platform} needs a command_topic (mqtt/config.py MQTT_RW_SCHEMA)`);
  if (platform === "binary_sensor") {
    if (c.device_class !== undefined && !BINARY_SENSOR_DEVICE_CLASSES.has(c.device_class))
      out.push(
        `${where}: binary_sensor device_class ${JSON.stringify(c.device_class)} not a BinarySensorDeviceClass (binary_sensor/__init__.py)`,
      );
    // binary_sensor/__init__.py: "Entity ... cannot be added as the entity category is set to config"
    if (c.entity_category === "config")
      out.push(`${where}: a binary_sensor cannot have entity_category config (binary_sensor/__init__.py)`);
  }
  if (platform === "event" && (!Array.isArray(c.event_types) || c.event_types.length === 0))
    out.push(
      `${where}: event needs event_types (mqtt/event.py PLATFORM_SCHEMA_MODERN vol.Required(CONF_EVENT_TYPES))`,
    );
  if (platform === "sensor") checkSensor(where, c, out);
  return out;
}

function checkSensor(where: string, c: Json, out: string[]): void {
  const dc: string | undefined = c.device_class ?? undefined;
  const unit: string | undefined = c.unit_of_measurement ?? undefined;
  const sc: string | undefined = c.state_class ?? undefined;
  if (sc !== undefined && !STATE_CLASSES.has(sc))
    out.push(`${where}: state_class ${JSON.stringify(sc)} unknown (sensor/const.py SensorStateClass)`);
  // mqtt/sensor.py validate_sensor_state_and_device_class_config:
  //   "An empty options list is not allowed"; "Specifying `options` is not allowed together with the
  //   `state_class` or `unit_of_measurement` option"; "The option `options` must be used together with device
  //   class `enum`"
  if (c.options !== undefined) {
    if (!Array.isArray(c.options) || c.options.length === 0)
      out.push(`${where}: an empty options list is not allowed (mqtt/sensor.py)`);
    if (sc || unit)
      out.push(`${where}: options not allowed with state_class or unit_of_measurement (mqtt/sensor.py)`);
    if (dc !== "enum")
      out.push(`${where}: options need device_class enum, got ${JSON.stringify(dc)} (mqtt/sensor.py)`);
  }
  if (dc === undefined) return;
  if (NON_NUMERIC_DEVICE_CLASSES.has(dc) && unit !== undefined)
    out.push(
      `${where}: device_class ${dc} is non-numeric and takes no unit, got ${JSON.stringify(unit)} (sensor/__init__.py)`,
    );
  const units = DEVICE_CLASS_UNITS[dc];
  if (units && !units.has(unit ?? ""))
    out.push(
      `${where}: unit ${JSON.stringify(unit)} is not valid for device_class ${dc}: expected one of ${[...units].join(", ")} (sensor/const.py DEVICE_CLASS_UNITS)`,
    );
  const stateClasses = DEVICE_CLASS_STATE_CLASSES[dc];
  if (stateClasses && sc !== undefined && !stateClasses.has(sc))
    out.push(
      `${where}: state_class ${sc} is not valid for device_class ${dc} (sensor/const.py DEVICE_CLASS_STATE_CLASSES)`,
    );
}

/**
 * One retained discovery message (topic + payload text) as HA's discovery.py would take it: the topic, the JSON, and
 * for a device-based message (`<prefix>/device/<id>/config`) DEVICE_DISCOVERY_SCHEMA (mqtt/schemas.py: Required
 * device, components {str: {Required platform: vol.In(SUPPORTED_COMPONENTS)}}, origin) and then every component with
 * the device, origin and SHARED_OPTIONS merged in, as `_merge_common_device_options` does. An empty payload removes.
 */
export function checkDiscoveryMessage(prefix: string, topic: string, text: string): string[] {
  if (!topic.startsWith(`${prefix}/`)) return [`${topic}: not under the discovery prefix ${prefix}/`];
  const match = TOPIC_MATCHER.exec(topic.slice(prefix.length + 1));
  if (!match?.groups) return [`${topic}: does not match HA's TOPIC_MATCHER (mqtt/discovery.py)`];
  const { component } = match.groups as { component: string };
  if (component !== "device" && !SUPPORTED_COMPONENTS.has(component))
    return [`${topic}: component ${component} not in SUPPORTED_COMPONENTS (mqtt/const.py)`];
  if (text === "") return [];
  let payload: Json;
  try {
    payload = expand(JSON.parse(text));
  } catch (error) {
    return [`${topic}: not JSON (${(error as Error).message})`];
  }
  if (payload.migrate_discovery !== undefined) {
    // discovery.py MIGRATE_DISCOVERY_SCHEMA = vol.Schema({vol.Optional(CONF_MIGRATE_DISCOVERY): True})
    return payload.migrate_discovery === true && Object.keys(payload).length === 1
      ? []
      : [
          `${topic}: a migration payload is exactly {"migrate_discovery": true} (mqtt/discovery.py MIGRATE_DISCOVERY_SCHEMA)`,
        ];
  }
  if (component !== "device") {
    const out = checkComponent(topic, component, payload);
    checkOrigin(topic, payload.origin, out);
    return out;
  }
  const out: string[] = [];
  checkDevice(topic, payload.device, out);
  checkOrigin(topic, payload.origin, out);
  checkAvailability(topic, payload, out);
  if (!payload.components || typeof payload.components !== "object" || Array.isArray(payload.components)) {
    out.push(
      `${topic}: components (cmps) is required, a map of id → config (mqtt/schemas.py DEVICE_DISCOVERY_SCHEMA)`,
    );
    return out;
  }
  for (const [id, raw] of Object.entries<Json>(payload.components)) {
    const c = expand(raw);
    if (!/^[a-zA-Z0-9_-]+$/.test(id))
      out.push(`${topic}: component id ${JSON.stringify(id)} is not a valid object_id (mqtt/discovery.py)`);
    const merged: Json = { ...c, device: payload.device, origin: payload.origin };
    for (const option of SHARED_OPTIONS)
      if (option in payload && !(option in c)) merged[option] = payload[option];
    out.push(...checkComponent(`${topic} cmps.${id}`, c.platform, merged));
  }
  return out;
}
