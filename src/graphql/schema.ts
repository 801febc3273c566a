/** The GraphQL schema. Every field resolves through the same services as the REST routes. */
export const schema = /* GraphQL */ `
  "A UUID; ids in arguments are checked before anything runs."
  scalar UUID

  "A calendar date, YYYY-MM-DD (years 2000–2999)."
  scalar Date

  type PageInfo {
    hasNextPage: Boolean!
    endCursor: String
  }

  type User {
    id: ID!
    firstName: String!
    lastName: String!
    role: String!
  }

  type Me {
    id: ID!
    email: String!
    firstName: String!
    lastName: String!
    phone: String
    role: String!
    emailVerified: Boolean!
  }

  type Amenity {
    code: String!
    name: String!
    category: String!
  }

  type Photo {
    id: ID!
    url: String!
    position: Int!
    isCover: Boolean!
    caption: String
  }

  type Address {
    street: String!
    city: String!
    region: String
    countryCode: String!
    postalCode: String
  }

  type StayPrice {
    nights: Int!
    nightsSubtotal: Int!
    cleaningFee: Int!
    serviceFee: Int!
    taxes: Int!
    total: Int!
  }

  type CalendarDay {
    date: String!
    state: String!
    price: Int!
  }

  "Details only a listing's page needs (one batched query for a whole page of listings)."
  type PropertyDetails {
    description: String!
    address: Address!
    bathrooms: Float!
    beds: Int!
    minNights: Int!
    maxNights: Int
    checkInTime: String!
    checkOutTime: String!
    cancellationPolicy: String!
    houseRules: String
    status: String!
  }

  type Property {
    id: ID!
    title: String!
    propertyType: String!
    city: String!
    countryCode: String!
    latitude: Float!
    longitude: Float!
    maxGuests: Int!
    bedrooms: Int!
    nightlyPrice: Int!
    currency: String!
    cleaningFee: Int!
    instantBook: Boolean!
    ratingAvg: Float!
    ratingCount: Int!
    distanceKm: Float
    stay: StayPrice
    host: User!
    details: PropertyDetails!
    amenities: [Amenity!]!
    photos: [Photo!]!
    reviewCount: Int!
    reviews(first: Int = 10, after: String, sort: String = "newest"): ReviewConnection!
    calendar(from: Date!, to: Date!): [CalendarDay!]!
  }

  type PropertyEdge {
    cursor: String!
    node: Property!
  }

  type PropertyConnection {
    edges: [PropertyEdge!]!
    pageInfo: PageInfo!
  }

  type Review {
    id: ID!
    bookingId: ID!
    rating: Int!
    cleanliness: Int!
    accuracy: Int!
    communication: Int!
    location: Int!
    checkIn: Int!
    value: Int!
    body: String!
    hostReply: String
    createdAt: String!
    author: User!
  }

  type ReviewEdge {
    cursor: String!
    node: Review!
  }

  type ReviewConnection {
    edges: [ReviewEdge!]!
    pageInfo: PageInfo!
  }

  type Night {
    date: String!
    price: Int!
  }

  type Quote {
    nights: Int!
    nightly: [Night!]!
    nightsSubtotal: Int!
    cleaningFee: Int!
    serviceFee: Int!
    taxes: Int!
    total: Int!
    currency: String!
  }

  type Booking {
    id: ID!
    checkIn: String!
    checkOut: String!
    guests: Int!
    status: String!
    currency: String!
    total: Int!
    refundedAmount: Int!
    holdExpiresAt: String
    "The guest's note to the host, as written when booking."
    message: String
    property: Property
    guest: User!
  }

  type BookingEdge {
    cursor: String!
    node: Booking!
  }

  type BookingConnection {
    edges: [BookingEdge!]!
    pageInfo: PageInfo!
  }

  type Payment {
    id: ID!
    status: String!
    amount: Int!
    currency: String!
    failureReason: String
  }

  type Session {
    accessToken: String!
    refreshToken: String!
    expiresIn: Int!
    user: Me!
  }

  input PropertySearch {
    city: String
    country: String
    bbox: String
    lat: Float
    lng: Float
    radiusKm: Float
    checkIn: Date
    checkOut: Date
    guests: Int
    minPrice: Int
    maxPrice: Int
    type: String
    amenities: [String!]
    instantBook: Boolean
    q: String
    sort: String
  }

  input AddressInput {
    street: String!
    city: String!
    region: String
    countryCode: String!
    postalCode: String
  }

  input PropertyInput {
    title: String
    description: String
    propertyType: String
    address: AddressInput
    latitude: Float
    longitude: Float
    maxGuests: Int
    bedrooms: Int
    beds: Int
    bathrooms: Float
    nightlyPrice: Int
    currency: String
    cleaningFee: Int
    minNights: Int
    maxNights: Int
    checkInTime: String
    checkOutTime: String
    cancellationPolicy: String
    instantBook: Boolean
    amenities: [String!]
    houseRules: String
  }

  input StayInput {
    propertyId: UUID!
    checkIn: Date!
    checkOut: Date!
    guests: Int!
  }

  input ReviewInput {
    bookingId: UUID!
    rating: Int!
    cleanliness: Int!
    accuracy: Int!
    communication: Int!
    location: Int!
    checkIn: Int!
    value: Int!
    body: String!
  }

  type Query {
    me: Me!
    user(id: UUID!): User
    property(id: UUID!): Property
    properties(filter: PropertySearch, first: Int = 20, after: String): PropertyConnection!
    booking(id: UUID!): Booking
    bookings(as: String = "guest", when: String, first: Int = 20, after: String): BookingConnection!
  }

  type Mutation {
    register(email: String!, password: String!, firstName: String!, lastName: String!): Me!
    login(email: String!, password: String!): Session!
    createProperty(input: PropertyInput!): Property!
    updateProperty(id: UUID!, input: PropertyInput!): Property!
    publishProperty(id: UUID!, published: Boolean!): Property!
    quote(input: StayInput!): Quote!
    book(input: StayInput!, idempotencyKey: String): Booking!
    cancelBooking(id: UUID!, reason: String): Booking!
    payBooking(id: UUID!, paymentMethod: String!): Payment!
    createReview(input: ReviewInput!): Review!
    replyToReview(id: UUID!, body: String!): Review!
  }
`;
