/** The GraphQL schema. Every field resolves through the same services as the REST routes. */
export const schema = /* GraphQL */ `
  "A UUID; ids in arguments are checked before anything runs."
  scalar UUID

  "A calendar date, YYYY-MM-DD (years 2000–2999)."
  scalar Date

  "Any JSON value, output only (a notification's data, a real-time event's object)."
  scalar JSON

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

  "One tax of the listing's jurisdiction, by name (percentage: rateBps of the accommodation; or per night)."
  type TaxLine {
    name: String!
    kind: String!
    rateBps: Int
    amount: Int!
  }

  type StayPrice {
    nights: Int!
    guests: Int!
    nightsSubtotal: Int!
    "The weekly (7+ nights) or monthly (28+) discount applied, in percent."
    discountPct: Int!
    discount: Int!
    extraGuestFees: Int!
    cleaningFee: Int!
    serviceFee: Int!
    taxLines: [TaxLine!]!
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
    "Friday and Saturday nights (null: the nightly price)."
    weekendPrice: Int
    weeklyDiscountPct: Int!
    monthlyDiscountPct: Int!
    guestsIncluded: Int!
    extraGuestFee: Int!
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
    discountPct: Int!
    discount: Int!
    extraGuestFees: Int!
    cleaningFee: Int!
    serviceFee: Int!
    taxLines: [TaxLine!]!
    taxes: Int!
    total: Int!
    currency: String!
    "The host's service fee, deducted from their payout (not paid by the guest)."
    hostFee: Int!
    "What the host earns from this stay."
    hostPayout: Int!
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

  "A listing as a conversation names it."
  type ListingRef {
    id: ID!
    title: String!
  }

  "The other participant of a conversation."
  type Participant {
    id: ID!
    firstName: String!
  }

  "How far each side of a conversation has read (read receipts)."
  type ReadSeq {
    guest: Int!
    host: Int!
  }

  "A message. Emails, phone numbers and links are masked until a booking of the conversation is confirmed."
  type Message {
    id: ID!
    conversationId: ID!
    "1, 2, 3… within the conversation."
    seq: Int!
    "Null for a notice written by Roost (kind system)."
    senderId: ID
    "text, system or pre_approval."
    kind: String!
    body: String!
    "Something in the body is hidden."
    masked: Boolean!
    createdAt: String!
  }

  "Messages in the order they were written (newest last); nextCursor fetches the older page."
  type MessagePage {
    items: [Message!]!
    nextCursor: String
  }

  "One conversation per listing and guest: an inquiry, joined to the booking made from it."
  type Conversation {
    id: ID!
    propertyId: ID!
    guestId: ID!
    hostId: ID!
    "The latest booking made from this conversation; null while it is an inquiry."
    bookingId: ID
    lastSeq: Int!
    lastMessageAt: String!
    "Messages you have not read."
    unread: Int!
    readSeq: ReadSeq!
    blocked: Boolean!
    blockedByMe: Boolean!
    "A booking of this conversation was confirmed: nothing is masked any more."
    contactDetailsVisible: Boolean!
    createdAt: String!
    listing: ListingRef!
    "The other participant (null for an admin reading)."
    otherParty: Participant
    "The newest limit (1–100) messages before cursor, newest last."
    messages(limit: Int = 50, cursor: String): MessagePage!
    "The host's offers of dates in this conversation, newest first (the 20 latest)."
    preApprovals: [PreApproval!]!
  }

  type ConversationPage {
    items: [Conversation!]!
    nextCursor: String
  }

  type PostedMessage {
    conversation: Conversation!
    message: Message!
  }

  type UnreadCounts {
    "Unread messages over all your conversations."
    messages: Int!
    "Conversations with unread messages."
    conversations: Int!
  }

  "The host's offer of exact dates, bookable instantly by the conversation's guest until it expires."
  type PreApproval {
    id: ID!
    conversationId: ID!
    propertyId: ID!
    guestId: ID!
    checkIn: String!
    checkOut: String!
    guests: Int!
    expiresAt: String!
    "The booking made with it (it is used once)."
    bookingId: ID
    withdrawn: Boolean!
  }

  type NotificationCategoryPreference {
    "messages, requests, bookings, stays or payouts."
    category: String!
    description: String!
    "Sent by email too (default true)."
    email: Boolean!
    "Always true: the feed gets every event."
    inApp: Boolean!
  }

  type NotificationPreferences {
    categories: [NotificationCategoryPreference!]!
  }

  type NotificationsMarked {
    "How many were unread and are now read."
    marked: Int!
    "Unread notifications left."
    unread: Int!
  }

  "Categories to switch email on (true) or off (false); the ones left out do not change."
  input NotificationEmailInput {
    messages: Boolean
    requests: Boolean
    bookings: Boolean
    stays: Boolean
    payouts: Boolean
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


  type Notification {
    id: ID!
    "What happened: message.new, booking.confirmed, … (see the README)."
    type: String!
    "The preference category."
    category: String!
    "One line for the feed."
    title: String!
    "Ids and facts of the event (bookingId, conversationId, checkIn, …), as the REST API shows them."
    data: JSON!
    readAt: String
    createdAt: String!
    "Later than createdAt when more events joined it (a conversation's new messages)."
    updatedAt: String!
  }

  type NotificationPage {
    items: [Notification!]!
    nextCursor: String
  }

  type Query {
    "My notifications, newest first (only unread ones with unread: true)."
    notifications(unread: Boolean, limit: Int = 20, cursor: String): NotificationPage!
    me: Me!
    user(id: UUID!): User
    property(id: UUID!): Property
    properties(filter: PropertySearch, first: Int = 20, after: String): PropertyConnection!
    booking(id: UUID!): Booking
    bookings(as: String = "guest", when: String, first: Int = 20, after: String): BookingConnection!
    "My conversations (as guest and as host), most recent activity first."
    conversations(limit: Int = 20, cursor: String): ConversationPage!
    "For its guest and host; an admin may read it (each read is recorded)."
    conversation(id: UUID!): Conversation!
    "A booking's conversation (made if it has none yet), for its guest, host or an admin."
    bookingConversation(bookingId: UUID!): Conversation!
    unreadMessages: UnreadCounts!
    "My unread notifications."
    unreadNotifications: Int!
    notificationPreferences: NotificationPreferences!
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
    "Ask a host about a listing (1–4000 characters); rate-limited with REST's messages."
    startConversation(propertyId: UUID!, body: String!): PostedMessage!
    "Write in a conversation (1–4000 characters); rate-limited with REST's messages."
    sendMessage(conversationId: UUID!, body: String!): PostedMessage!
    "Read up to upToSeq (default: every message so far)."
    markConversationRead(id: UUID!, upToSeq: Int): Conversation!
    blockConversation(id: UUID!): Conversation!
    unblockConversation(id: UUID!): Conversation!
    "The host pre-approves the conversation's guest for these dates."
    preApproveStay(conversationId: UUID!, checkIn: Date!, checkOut: Date!, guests: Int!): PreApproval!
    "The host takes back a pre-approval not used yet."
    withdrawPreApproval(conversationId: UUID!, preApprovalId: UUID!): PreApproval!
    "These notifications (up to 100), or all when ids is omitted."
    markNotificationsRead(ids: [UUID!]): NotificationsMarked!
    updateNotificationPreferences(email: NotificationEmailInput!): NotificationPreferences!
  }
`;
