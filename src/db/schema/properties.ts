import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export type PropertyType = 'entire_place' | 'private_room' | 'shared_room';
export type PropertyStatus = 'draft' | 'listed' | 'unlisted';
export type CancellationPolicyColumn = 'flexible' | 'moderate' | 'strict';

export interface PropertiesTable {
  id: string;
  host_id: string;
  title: string;
  description: string;
  property_type: PropertyType;
  street: string;
  city: string;
  /** lower(city), maintained by the database, for case-insensitive city filters. */
  city_key: Generated<string>;
  region: string | null;
  country_code: string;
  postal_code: string | null;
  latitude: number;
  longitude: number;
  /**
   * point(longitude, latitude), maintained by the database (generated column on PostgreSQL, triggers on
   * MySQL) for the GiST / SPATIAL index of map and distance searches. Never written by the service.
   */
  geo: Generated<unknown>;
  max_guests: number;
  bedrooms: number;
  beds: number;
  bathrooms: number;
  nightly_price: number;
  currency: string;
  cleaning_fee: number;
  /** Friday and Saturday nights' price (null: the nightly price). */
  weekend_price: Generated<number | null>;
  weekly_discount_pct: Generated<number>;
  monthly_discount_pct: Generated<number>;
  guests_included: Generated<number>;
  extra_guest_fee: Generated<number>;
  min_nights: number;
  max_nights: number | null;
  check_in_time: string;
  check_out_time: string;
  cancellation_policy: CancellationPolicyColumn;
  instant_book: boolean;
  status: PropertyStatus;
  house_rules: string | null;
  /** Private: shown only to the host and to guests with a confirmed stay (address line, door code, Wi-Fi). */
  checkin_details: Generated<string | null>;
  /** Why an admin unlisted it (null when its host did, or it is listed). */
  unlisted_reason: Generated<string | null>;
  rating_avg: Generated<number>;
  rating_count: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
  published_at: Date | null;
  deleted_at: Date | null;
}

export interface AmenitiesTable {
  code: string;
  name: string;
  category: string;
}

export interface PropertyAmenitiesTable {
  property_id: string;
  amenity_code: string;
}

export interface PropertyCalendarTable {
  property_id: string;
  night: string;
  blocked: boolean;
  price_override: number | null;
}

export interface PropertyPhotosTable {
  id: string;
  property_id: string;
  storage_key: string;
  content_type: string;
  bytes: number;
  position: number;
  is_cover: boolean;
  caption: string | null;
  created_at: Timestamp;
}

/** Taxes by jurisdiction: every row of the listing's country (region '') and of its region applies. */
export interface TaxRatesTable {
  id: string;
  country_code: string;
  /** '' = the whole country. */
  region: Generated<string>;
  name: string;
  kind: 'percent' | 'per_night';
  rate_bps: number | null;
  amount: number | null;
  currency: string | null;
  per_guest: Generated<boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
}
