/* gen-org.c: writes a synthetic organisation in the snapshot format (spec section 1) for benchmarks,
 * tests and the bundled example.
 *
 *   gen-org --members N [--departments D] [--seed S] [--format jsonl|csv|both] [--max-depth L]
 *           [--cycles K] [--as-of YYYY-MM-DD] -o DIR
 *
 * Output is a pure function of the flags: the generator has its own PRNG (splitmix64), uses integer
 * arithmetic and IEEE double arithmetic only (no libm, no locale, no clock), so the same flags write
 * byte-identical files on every machine. Every member's attributes come from a random stream keyed by
 * (seed, member index), so they do not depend on the output format: the JSONL and CSV twins of one
 * seed hold the same organisation.
 *
 * Shape: a department tree (root, divisions, departments, then teams, at most --max-depth levels),
 * every department with a head whose leader is the head of the parent department, large departments
 * with team leads, and everybody else reporting to a lead or the head. See bench/README.md for the
 * schema and the distributions.
 *
 * Self-contained on purpose (libc only): it must build and run while the library is in pieces. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define NONE UINT32_MAX
#define MAX_DEPTH_LIMIT 16
#define EMPTY_PER_MILLE 50     /* about 5% of each nullable column is empty */
#define DEPT_NAME_MAX 80

/* ------------------------------------------------------------------------------------------------
 * Fixed vocabularies. Entries written "Display|ascii" carry the ASCII spelling used in e-mail
 * addresses; plain entries are their own ASCII spelling (lower-cased).
 * ---------------------------------------------------------------------------------------------- */

static const char *const female_names[] = {
    "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah",
    "Karen", "Lisa", "Nancy", "Betty", "Sandra", "Margaret", "Ashley", "Kimberly", "Emily", "Donna",
    "Michelle", "Carol", "Amanda", "Melissa", "Deborah", "Stephanie", "Rebecca", "Sharon", "Laura",
    "Cynthia", "Amy", "Kathleen", "Angela", "Helen", "Emma", "Anna", "Nicole", "Samantha",
    "Katherine", "Christine", "Rachel", "Janet", "Maria", "Olivia", "Sophia", "Isabella", "Mia",
    "Charlotte", "Amelia", "Harper", "Evelyn", "Abigail", "Ella", "Chloé|chloe", "Zoë|zoe",
    "Léa|lea", "Camille", "Manon", "Inès|ines", "Sofía|sofia", "Lucía|lucia", "Valentina",
    "Martina", "Giulia", "Francesca", "Chiara", "Hanna", "Leonie", "Lena", "Marie", "Ingrid",
    "Sigrid", "Astrid", "Freja", "Maja", "Agnieszka", "Katarzyna", "Małgorzata|malgorzata", "Olga",
    "Natalia", "Anastasia", "Elena", "Irina", "Yuki", "Sakura", "Haruka", "Aiko", "Mei", "Fang",
    "Jing", "Xiaoling", "Hui", "Ying", "Xin", "Yue", "Lan", "Ji-woo|jiwoo", "Seo-yeon|seoyeon",
    "Min-ji|minji", "Priya", "Ananya", "Aisha", "Divya", "Kavya", "Neha", "Pooja", "Sneha", "Aditi",
    "Riya", "Fatima", "Layla", "Nour", "Yasmin", "Mariam", "Amara", "Chiamaka", "Ngozi", "Zanele",
    "Thandiwe", "Wanjiru", "Ana", "Camila", "Gabriela", "Fernanda", "Daniela", "Mariana", "Luisa",
};

static const char *const male_names[] = {
    "James", "Robert", "John", "Michael", "David", "William", "Richard", "Joseph", "Thomas",
    "Christopher", "Charles", "Daniel", "Matthew", "Anthony", "Mark", "Donald", "Steven", "Paul",
    "Andrew", "Joshua", "Kenneth", "Kevin", "Brian", "George", "Timothy", "Ronald", "Edward",
    "Jason", "Jeffrey", "Ryan", "Jacob", "Gary", "Nicholas", "Eric", "Jonathan", "Stephen",
    "Justin", "Scott", "Brandon", "Benjamin", "Samuel", "Alexander", "Patrick", "Jack", "Liam",
    "Noah", "Oliver", "Elijah", "Lucas", "Mateo", "Hugo", "Louis", "Léo|leo", "Théo|theo",
    "Gabriel", "Raphaël|raphael", "Jörg|joerg", "Jürgen|juergen", "Lukas", "Felix", "Maximilian",
    "Jonas", "Finn", "Søren|soeren", "Lars", "Erik", "Magnus", "Mikkel", "Łukasz|lukasz", "Piotr",
    "Tomasz", "Jakub", "Dmitri", "Sergei", "Ivan", "Alejandro", "José|jose", "Javier", "Diego",
    "Pablo", "Andrés|andres", "João|joao", "Pedro", "Rafael", "Marco", "Luca", "Giuseppe",
    "Matteo", "Hiroshi", "Takeshi", "Kenji", "Haruto", "Ren", "Wei", "Jun", "Hao", "Lei", "Ming",
    "Tao", "Yong", "Jian", "Bo", "Min-jun|minjun", "Seo-jun|seojun", "Ji-ho|jiho", "Arjun",
    "Rohan", "Vikram", "Rahul", "Aditya", "Karthik", "Sanjay", "Omar", "Ahmed", "Youssef", "Karim",
    "Tariq", "Kwame", "Chidi", "Tunde", "Sipho", "Kofi",
};

static const char *const last_names[] = {
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore",
    "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark",
    "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres",
    "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell",
    "Mitchell", "Carter", "Roberts", "O'Brien|obrien", "O'Connor|oconnor", "McCarthy", "Murphy",
    "Kelly", "Sullivan", "Walsh", "Byrne", "Smith-Jones", "Müller|mueller", "Schmidt", "Schneider",
    "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann", "Schäfer|schaefer",
    "Koch", "Richter", "Klein", "Wolf", "Schröder|schroeder", "Neumann", "Dubois", "Durand",
    "Lefebvre", "Moreau", "Laurent", "Simon", "Michel", "Garnier", "Faure", "Rousseau", "Rossi",
    "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco",
    "Fernández|fernandez", "Díaz|diaz", "Muñoz|munoz", "Álvarez|alvarez", "Romero", "Navarro",
    "Gutiérrez|gutierrez", "Silva", "Santos", "Oliveira", "Souza", "Pereira", "Costa", "Carvalho",
    "Almeida", "Ribeiro", "Kowalski", "Nowak", "Wiśniewski|wisniewski", "Wójcik|wojcik",
    "Kowalczyk", "Lewandowski", "Ivanov", "Petrov", "Smirnov", "Kuznetsov", "Popov", "Novak",
    "Horváth|horvath", "Nagy", "Kovács|kovacs", "Jensen", "Nielsen", "Hansen", "Pedersen",
    "Andersen", "Larsen", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Lindqvist", "Berg",
    "Haugen", "Virtanen", "Korhonen", "Mäkinen|maekinen", "de Vries|devries", "van Dijk|vandijk",
    "Jansen", "Bakker", "Visser", "Peeters", "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang",
    "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma", "Zhu", "Hu", "Guo", "He", "Lin", "Gao", "Luo", "Zheng",
    "Liang", "Xie", "Tang", "Han", "Feng", "Deng", "Cao", "Peng", "Zeng", "Xiao", "Tian", "Dong",
    "Pan", "Yuan", "Cai", "Jiang", "Yu", "Du", "Ye", "Cheng", "Sato", "Suzuki", "Takahashi",
    "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura", "Kobayashi", "Kato", "Yoshida", "Yamada",
    "Kim", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim", "Patel", "Sharma", "Singh",
    "Kumar", "Gupta", "Reddy", "Iyer", "Nair", "Rao", "Mehta", "Shah", "Joshi", "Das", "Banerjee",
    "Chatterjee", "Khan", "Ali", "Hassan", "Hussein", "Ibrahim", "Mahmoud", "Haddad", "Nasser",
    "Okafor", "Okonkwo", "Adeyemi", "Mensah", "Owusu", "Dlamini", "Ndlovu", "Mwangi", "Kariuki",
    "Cohen", "Levi", "Friedman", "Katz", "Yilmaz", "Kaya", "Demir", "Şahin|sahin", "Çelik|celik",
    "Papadopoulos", "Nikolaidis", "Tran", "Pham", "Le", "Vo", "Hoang", "Phan",
};

/* Names written in their own script, as directories hold them; their ASCII spelling (used for
 * e-mail addresses) has no dot, so it never collides with a "first.last" address. Chinese names are
 * composed, family name first; the others are kept whole. 'F'/'M' is the name's gender. */
static const char *const zh_family[] = {
    "王|wang", "李|li", "张|zhang", "刘|liu", "陈|chen", "杨|yang", "黄|huang", "赵|zhao",
    "吴|wu", "周|zhou", "徐|xu", "孙|sun", "马|ma", "朱|zhu", "胡|hu", "郭|guo",
};
static const char *const zh_given[] = {
    "F芳|fang", "M伟|wei", "F娜|na", "M强|qiang", "F敏|min", "M磊|lei", "M洋|yang", "F静|jing",
    "M帆|fan", "F丽|li", "F婷|ting", "M杰|jie", "F秀英|xiuying", "M建国|jianguo", "F雨涵|yuhan",
    "M子轩|zixuan", "F欣怡|xinyi", "M浩然|haoran", "F思琪|siqi", "M俊杰|junjie",
};
static const char *const whole_names[] = {
    "F佐藤陽菜|satohina", "M鈴木大翔|suzukihiroto", "F高橋さくら|takahashisakura",
    "M김민준|kimminjun", "F이서연|leeseoyeon", "FΕλένη Παπαδοπούλου|elenipapadopoulou",
    "MСергей Иванов|sergeyivanov", "FАнна Смирнова|annasmirnova", "Mजय शर्मा|jaysharma",
};

/* Nicknames written between quotes ("Robert \"Bob\" Smith"), as some directories store them. */
static const char *const nicknames[][2] = {
    {"Robert", "Bob"}, {"William", "Bill"}, {"Elizabeth", "Liz"}, {"Katherine", "Kate"},
    {"Alexander", "Alex"}, {"Margaret", "Peggy"}, {"Richard", "Rick"}, {"Jennifer", "Jen"},
    {"Christopher", "Chris"}, {"Samantha", "Sam"}, {"Benjamin", "Ben"}, {"Patricia", "Trish"},
};

/* The office cities come first: departments are based in them. The rest is the long tail where
 * remote members live. Names are unique ignoring case (option values compare that way). */
#define OFFICE_CITIES 24
static const char *const cities[] = {
    "Shanghai", "Hangzhou", "Beijing", "Shenzhen", "Singapore", "London", "Berlin", "New York",
    "Guangzhou", "Chengdu", "Tokyo", "Seoul", "Sydney", "Bangalore", "Dublin", "Paris",
    "Amsterdam", "San Francisco", "Seattle", "Toronto", "São Paulo", "Dubai", "Madrid", "Wuhan",
    "Nanjing", "Suzhou", "Xi'an", "Tianjin", "Chongqing", "Qingdao", "Xiamen", "Dalian", "Shenyang",
    "Changsha", "Zhengzhou", "Jinan", "Hefei", "Fuzhou", "Kunming", "Harbin", "Ningbo", "Wuxi",
    "Dongguan", "Foshan", "Zhuhai", "Hong Kong", "Macau", "Taipei", "Kaohsiung", "Osaka", "Kyoto",
    "Yokohama", "Nagoya", "Fukuoka", "Sapporo", "Busan", "Incheon", "Daejeon", "Hanoi",
    "Ho Chi Minh City", "Da Nang", "Bangkok", "Chiang Mai", "Kuala Lumpur", "Penang", "Jakarta",
    "Surabaya", "Bandung", "Manila", "Cebu", "Phnom Penh", "Yangon", "Dhaka", "Kathmandu",
    "Colombo", "Mumbai", "Delhi", "Hyderabad", "Chennai", "Pune", "Kolkata", "Ahmedabad", "Jaipur",
    "Kochi", "Karachi", "Lahore", "Islamabad", "Kabul", "Tashkent", "Almaty", "Astana", "Baku",
    "Tbilisi", "Yerevan", "Tehran", "Baghdad", "Riyadh", "Jeddah", "Doha", "Abu Dhabi", "Muscat",
    "Kuwait City", "Manama", "Amman", "Beirut", "Tel Aviv", "Jerusalem", "Haifa", "Cairo",
    "Alexandria", "Casablanca", "Rabat", "Tunis", "Algiers", "Lagos", "Abuja", "Accra", "Dakar",
    "Abidjan", "Nairobi", "Mombasa", "Kampala", "Kigali", "Addis Ababa", "Dar es Salaam",
    "Johannesburg", "Cape Town", "Durban", "Pretoria", "Lusaka", "Harare", "Luanda", "Kinshasa",
    "Istanbul", "Ankara", "Izmir", "Athens", "Thessaloniki", "Sofia", "Bucharest", "Cluj-Napoca",
    "Belgrade", "Zagreb", "Ljubljana", "Sarajevo", "Skopje", "Tirana", "Budapest", "Vienna",
    "Graz", "Prague", "Brno", "Bratislava", "Warsaw", "Kraków", "Wrocław", "Gdańsk", "Poznań",
    "Vilnius", "Riga", "Tallinn", "Helsinki", "Tampere", "Stockholm", "Gothenburg", "Malmö", "Oslo",
    "Bergen", "Copenhagen", "Aarhus", "Reykjavik", "Hamburg", "Munich", "Cologne", "Frankfurt",
    "Stuttgart", "Düsseldorf", "Leipzig", "Dresden", "Hanover", "Nuremberg", "Zurich", "Geneva",
    "Basel", "Bern", "Lausanne", "Brussels", "Antwerp", "Ghent", "Luxembourg", "Rotterdam",
    "The Hague", "Utrecht", "Eindhoven", "Lyon", "Marseille", "Toulouse", "Nice", "Nantes",
    "Bordeaux", "Lille", "Strasbourg", "Barcelona", "Valencia", "Seville", "Bilbao", "Málaga",
    "Lisbon", "Porto", "Milan", "Rome", "Turin", "Naples", "Florence", "Bologna", "Venice",
    "Manchester", "Birmingham", "Leeds", "Glasgow", "Edinburgh", "Bristol", "Liverpool",
    "Cambridge", "Oxford", "Belfast", "Cork", "Galway", "Kyiv", "Lviv", "Odesa", "Chișinău",
    "Minsk", "Moscow", "Saint Petersburg", "Novosibirsk", "Yekaterinburg", "Boston", "Chicago",
    "Los Angeles", "San Diego", "San Jose", "Austin", "Dallas", "Houston", "Denver", "Phoenix",
    "Atlanta", "Miami", "Orlando", "Washington", "Philadelphia", "Pittsburgh", "Detroit",
    "Minneapolis", "Portland", "Salt Lake City", "Las Vegas", "Nashville", "Charlotte", "Raleigh",
    "Columbus", "Indianapolis", "Kansas City", "St. Louis", "New Orleans", "Honolulu", "Anchorage",
    "Vancouver", "Montreal", "Calgary", "Ottawa", "Edmonton", "Quebec City", "Halifax",
    "Mexico City", "Guadalajara", "Monterrey", "Tijuana", "Guatemala City", "San José",
    "Panama City", "Havana", "Santo Domingo", "San Juan", "Bogotá", "Medellín", "Cali", "Quito",
    "Guayaquil", "Lima", "La Paz", "Santiago", "Valparaíso", "Buenos Aires", "Córdoba", "Rosario",
    "Montevideo", "Asunción", "Rio de Janeiro", "Brasília", "Belo Horizonte", "Porto Alegre",
    "Curitiba", "Recife", "Salvador", "Fortaleza", "Caracas", "Melbourne", "Brisbane", "Perth",
    "Adelaide", "Canberra", "Hobart", "Auckland", "Wellington", "Christchurch", "Suva",
};

static const char *const skills[] = {
    "C", "C++", "Go", "Rust", "Java", "Kotlin", "Swift", "Python", "JavaScript", "TypeScript",
    "SQL", "Scala", "Ruby", "PHP", "React", "Vue", "Node.js", "Kubernetes", "Docker", "Terraform",
    "AWS", "GCP", "Azure", "Linux", "PostgreSQL", "MySQL", "Redis", "Kafka", "Spark",
    "Machine Learning", "Deep Learning", "Statistics", "Data Analysis", "Tableau", "Power BI",
    "Excel", "Figma", "Sketch", "UX Research", "Copywriting", "SEO", "SEM", "Social Media",
    "Video Editing", "Public Speaking", "Negotiation", "Salesforce", "HubSpot", "CRM",
    "Account Management", "Lead Generation", "Forecasting", "Budgeting", "Accounting", "IFRS",
    "US GAAP", "Tax", "Auditing", "Payroll", "Recruiting", "Interviewing", "Onboarding", "Coaching",
    "Labor Law", "Contract Law", "GDPR", "Compliance", "Project Management", "Agile", "Scrum",
    "Six Sigma", "Procurement", "Logistics", "Customer Service", "Zendesk", "Technical Writing",
    "Networking", "Active Directory", "Mandarin", "English", "Japanese", "Spanish", "German",
    "French",
};

/* Every member may add one language to the skills of their division. */
static const char *const language_skills[] = {"Mandarin", "English", "Japanese", "Spanish", "German",
                                                "French"};

static const char *const employee_types[] = {"Full-time", "Part-time", "Intern", "Contractor"};
static const char *const statuses[] = {"active", "frozen", "resigned"};
static const char *const genders[] = {"Female", "Male", "Non-binary", "Undisclosed"};

/* A division: its sub-departments, the job roles of its staff, the titles of its heads and the
 * skills its members tend to have. Order matters: a small organisation uses the first few. */
typedef struct division {
    const char *name;
    uint32_t size;              /* relative size: Engineering is five times Legal */
    const char *chief;          /* title of the division head */
    const char *manager;        /* title of the heads of its teams */
    const char *const *units;   /* second-level department names, NULL-terminated */
    const char *const *roles;   /* job roles, NULL-terminated */
    const char *const *skills;  /* skills pool, NULL-terminated */
} division;

#define LIST(...) (const char *const[]){__VA_ARGS__, NULL}

static const division divisions[] = {
    {"Engineering", 10, "Chief Technology Officer", "Engineering Manager",
     LIST("Backend Platform", "Frontend", "Mobile", "Infrastructure", "Data Platform",
          "Security Engineering", "Quality Assurance", "Developer Tools", "Site Reliability",
          "Machine Learning", "Payments", "Search"),
     LIST("Software Engineer", "Backend Engineer", "Frontend Engineer", "Mobile Engineer",
          "Site Reliability Engineer", "DevOps Engineer", "Security Engineer", "QA Engineer",
          "Test Automation Engineer", "Data Engineer", "Machine Learning Engineer",
          "Embedded Software Engineer", "Solutions Architect", "Engineering Program Manager"),
     LIST("C", "C++", "Go", "Rust", "Java", "Kotlin", "Swift", "Python", "JavaScript", "TypeScript",
          "SQL", "Scala", "React", "Vue", "Node.js", "Kubernetes", "Docker", "Terraform", "AWS",
          "GCP", "Azure", "Linux", "PostgreSQL", "MySQL", "Redis", "Kafka", "Agile", "Scrum")},
    {"Sales", 8, "Chief Revenue Officer", "Sales Manager",
     LIST("Sales EMEA", "Sales APAC", "Sales Americas", "Sales Greater China", "Enterprise Sales",
          "Inside Sales", "Partner Sales", "Sales Operations", "Public Sector Sales"),
     LIST("Account Executive", "Sales Development Representative", "Account Manager",
          "Sales Engineer", "Key Account Manager", "Channel Partner Manager",
          "Sales Operations Analyst", "Business Development Manager",
          "Inside Sales Representative", "Deal Desk Specialist"),
     LIST("Negotiation", "Salesforce", "HubSpot", "CRM", "Account Management", "Lead Generation",
          "Forecasting", "Public Speaking", "Excel")},
    {"People", 4, "Chief People Officer", "HR Manager",
     LIST("Recruitment", "HR Business Partners", "Payroll", "Learning & Development",
          "Compensation & Benefits", "People Operations", "Employee Relations", "Talent Brand"),
     LIST("Recruiter", "Technical Recruiter", "Sourcer", "HR Business Partner", "HR Generalist",
          "Payroll Specialist", "Compensation Analyst", "Benefits Specialist",
          "Learning & Development Specialist", "People Operations Specialist",
          "Employer Branding Specialist", "HR Coordinator"),
     LIST("Recruiting", "Interviewing", "Onboarding", "Coaching", "Labor Law", "Payroll", "Excel",
          "Public Speaking")},
    {"Regional Offices", 4, "VP, Regional Offices", "Office Manager",
     LIST("Office A", "Office B", "Office C", "Office D", "Office E", "Office F", "Office G",
          "Office H"),
     LIST("Office Coordinator", "Receptionist", "Facilities Coordinator",
          "Local Sales Representative", "Customer Support Specialist", "Field Engineer",
          "Executive Assistant", "Administrative Assistant", "Event Coordinator"),
     LIST("Customer Service", "Logistics", "Excel", "Negotiation", "Project Management",
          "Public Speaking")},
    {"Product", 4, "Chief Product Officer", "Group Product Manager",
     LIST("Product Management", "Product Design", "User Research", "Product Analytics",
          "Technical Writing", "Design Systems"),
     LIST("Product Manager", "Product Designer", "UX Designer", "UI Designer", "UX Researcher",
          "Product Analyst", "Technical Writer", "Product Owner", "Design Systems Designer",
          "Content Designer"),
     LIST("Figma", "Sketch", "UX Research", "Data Analysis", "SQL", "Agile", "Scrum",
          "Technical Writing", "Project Management")},
    {"Finance", 3, "Chief Financial Officer", "Finance Manager",
     LIST("Accounting", "Financial Planning & Analysis", "Treasury", "Tax", "Procurement",
          "Internal Audit", "Billing"),
     LIST("Accountant", "Financial Analyst", "Controller", "Accounts Payable Specialist",
          "Accounts Receivable Specialist", "Tax Specialist", "Treasury Analyst",
          "Internal Auditor", "Procurement Specialist", "FP&A Analyst", "Billing Specialist"),
     LIST("Accounting", "IFRS", "US GAAP", "Tax", "Auditing", "Budgeting", "Forecasting", "Excel",
          "Procurement", "SQL")},
    {"Marketing", 4, "Chief Marketing Officer", "Marketing Manager",
     LIST("Brand", "Growth Marketing", "Content", "Events", "Product Marketing",
          "Marketing Operations", "PR & Communications"),
     LIST("Content Marketer", "Copywriter", "SEO Specialist", "Growth Marketer", "Brand Designer",
          "Event Manager", "Social Media Manager", "Product Marketing Manager",
          "Marketing Analyst", "PR Specialist", "Video Producer"),
     LIST("Copywriting", "SEO", "SEM", "Social Media", "Video Editing", "Public Speaking",
          "HubSpot", "Data Analysis", "Figma")},
    {"Customer Success", 6, "VP, Customer Success", "Support Manager",
     LIST("Support Tier 1", "Support Tier 2", "Onboarding", "Customer Success Management",
          "Customer Education", "Professional Services"),
     LIST("Customer Success Manager", "Support Engineer", "Customer Support Specialist",
          "Technical Account Manager", "Onboarding Specialist", "Implementation Consultant",
          "Support Analyst", "Customer Trainer", "Escalation Engineer"),
     LIST("Customer Service", "Zendesk", "CRM", "Salesforce", "Account Management", "SQL",
          "Linux", "Technical Writing", "Public Speaking")},
    {"Operations", 3, "Chief Operating Officer", "Operations Manager",
     LIST("Facilities", "Workplace Services", "Supply Chain", "Logistics", "Business Operations",
          "Vendor Management"),
     LIST("Operations Analyst", "Facilities Manager", "Logistics Coordinator",
          "Supply Chain Analyst", "Business Operations Manager", "Workplace Coordinator",
          "Operations Specialist", "Vendor Manager", "Fleet Coordinator"),
     LIST("Logistics", "Procurement", "Six Sigma", "Project Management", "Excel", "Budgeting",
          "Data Analysis")},
    {"Research", 2, "Chief Scientist", "Research Manager",
     LIST("Research Lab", "Applied Research", "Emerging Technology", "Data Science",
          "Research Operations"),
     LIST("Research Scientist", "Applied Scientist", "Research Engineer", "Data Scientist",
          "Research Assistant", "Statistician", "Lab Technician", "Postdoctoral Researcher"),
     LIST("Python", "Machine Learning", "Deep Learning", "Statistics", "Data Analysis", "SQL",
          "Spark", "C++", "Technical Writing")},
    {"Legal", 2, "General Counsel", "Legal Manager",
     LIST("Corporate Legal", "Compliance", "Privacy", "Intellectual Property", "Legal Operations"),
     LIST("Corporate Counsel", "Paralegal", "Compliance Officer", "Privacy Analyst",
          "Contract Manager", "Legal Counsel", "IP Specialist", "Legal Operations Specialist"),
     LIST("Contract Law", "Labor Law", "GDPR", "Compliance", "Negotiation", "Technical Writing")},
    {"IT", 2, "Chief Information Officer", "IT Manager",
     LIST("IT Helpdesk", "Enterprise Applications", "Identity & Access", "Network Operations",
          "End-user Computing"),
     LIST("IT Support Specialist", "Systems Administrator", "Network Engineer", "IT Analyst",
          "Identity Engineer", "Enterprise Applications Engineer", "Help Desk Technician",
          "IT Asset Coordinator", "Database Administrator"),
     LIST("Linux", "Networking", "Active Directory", "Azure", "AWS", "SQL", "PostgreSQL",
          "Customer Service", "Docker")},
    /* Not a division: the root department's own staff and the CEO. Keep it last. */
    {"Executive Office", 1, "Chief Executive Officer", "Chief of Staff",
     LIST("Executive Office"),
     LIST("Executive Assistant", "Chief of Staff", "Strategy Analyst",
          "Corporate Development Manager", "Internal Communications Manager", "Investor Relations Manager"),
     LIST("Project Management", "Public Speaking", "Data Analysis", "Excel", "Negotiation", "English")},
};

#define NTABLE (sizeof divisions / sizeof divisions[0])
#define NDIVISIONS (NTABLE - 1)
#define EXECUTIVE (NTABLE - 1)

/* Third-level departments are their parent's name plus one of these. */
static const char *const qualifiers[] = {
    "North", "South", "East", "West", "Central", "Core", "Growth", "Enterprise", "SMB", "Platform",
    "Services", "Programs", "Operations", "Strategy", "Analytics", "Enablement", "Delivery",
    "Planning", "Projects", "International",
};

/* Deeper departments are teams: "Team " + adjective + noun, unique across the organisation. */
static const char *const team_adjectives[] = {
    "Amber", "Azure", "Bold", "Bright", "Cobalt", "Coral", "Crimson", "Golden", "Granite", "Indigo",
    "Iron", "Jade", "Lunar", "Maple", "Nimble", "Onyx", "Polar", "Quiet", "Rapid", "Ruby",
    "Scarlet", "Silver", "Solar", "Steady", "Swift", "Teal", "Violet", "Wild", "Brave", "Clever",
    "Eager", "Gentle", "Happy", "Keen", "Lucky", "Mighty", "Noble", "Proud", "Sunny", "Witty",
};
static const char *const team_nouns[] = {
    "Falcon", "Otter", "Lynx", "Heron", "Badger", "Comet", "Harbor", "Summit", "Orbit", "Beacon",
    "Cedar", "Delta", "Ember", "Fjord", "Glacier", "Horizon", "Kestrel", "Lantern", "Meadow",
    "Nova", "Orchid", "Pioneer", "Quasar", "Raven", "Sparrow", "Tundra", "Vector", "Willow",
    "Zephyr", "Atlas", "Bison", "Cypress", "Dune", "Echo", "Forge", "Grove", "Hawk", "Ibis",
    "Juniper", "Kite",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static uint32_t count_list(const char *const *l) {
    uint32_t n = 0;
    while (l[n]) n++;
    return n;
}

/* ------------------------------------------------------------------------------------------------
 * Random numbers: splitmix64. Each purpose has its own stream so that adding a draw in one place
 * does not reshuffle everything else.
 * ---------------------------------------------------------------------------------------------- */

typedef struct rng {
    uint64_t state;
} rng;

enum { STREAM_TREE = 1, STREAM_ROLES, STREAM_CYCLES, STREAM_MEMBER };

static uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static rng rng_stream(uint64_t seed, uint64_t stream, uint64_t index) {
    rng r = {mix64(mix64(seed ^ (stream << 56)) + index * 0x9e3779b97f4a7c15ULL)};
    return r;
}

static uint64_t rng_next(rng *r) {
    r->state += 0x9e3779b97f4a7c15ULL;
    return mix64(r->state);
}

/* Uniform in [0, n): the high 32 bits scaled, bias below 2^-32 for the n used here. */
static uint32_t rng_below(rng *r, uint32_t n) {
    return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

static bool rng_per_mille(rng *r, uint32_t p) { return rng_below(r, 1000) < p; }

static double rng_unit(rng *r) { return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0); }

/* ------------------------------------------------------------------------------------------------
 * Dates as day numbers (days since 1970-01-01), shifted to March-based years so that the leap day
 * ends the year.
 * ---------------------------------------------------------------------------------------------- */

static int32_t days_from_ymd(int y, int m, int d) {
    if (m <= 2) y--;
    int era = y / 400;                                /* years here are always positive */
    int year_of_era = y - era * 400;
    int march_month = m > 2 ? m - 3 : m + 9;
    int day_of_year = (153 * march_month + 2) / 5 + d - 1;
    int day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}

static void ymd_from_days(int32_t days, int *y, int *m, int *d) {
    int z = days + 719468;
    int era = z / 146097;
    int day_of_era = z - era * 146097;
    int year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    int day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    int march_month = (5 * day_of_year + 2) / 153;
    *d = day_of_year - (153 * march_month + 2) / 5 + 1;
    *m = march_month < 10 ? march_month + 3 : march_month - 9;
    *y = year_of_era + era * 400 + (*m <= 2);
}

static bool parse_date(const char *s, int32_t *out) {
    for (int i = 0; i < 10; i++)
        if (i == 4 || i == 7 ? s[i] != '-' : s[i] < '0' || s[i] > '9') return false;
    if (s[10]) return false;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    if (y < 1900 || y > 9000 || m < 1 || m > 12 || d < 1 || d > 31) return false;
    int32_t days = days_from_ymd(y, m, d);
    int y2, m2, d2;
    ymd_from_days(days, &y2, &m2, &d2);
    if (y2 != y || m2 != m || d2 != d) return false;   /* 2026-02-30 and the like */
    *out = days;
    return true;
}

/* ------------------------------------------------------------------------------------------------
 * Buffered output: one big buffer per file and plain fwrite, so a million lines cost no more than
 * the formatting itself.
 * ---------------------------------------------------------------------------------------------- */

#define SINK_BUF (1u << 20)

typedef struct sink {
    FILE *f;
    char path[4096];
    char *buf;
    size_t len;
} sink;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "gen-org: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

/* A bad flag: exit status 2, as for every usage error. */
static void bad_arg(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void bad_arg(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "gen-org: ");
    vfprintf(stderr, fmt, ap);
    fputs(" (gen-org --help lists the options)\n", stderr);
    va_end(ap);
    exit(2);
}

static void sink_flush(sink *o) {
    if (o->len && fwrite(o->buf, 1, o->len, o->f) != o->len) die("cannot write %s", o->path);
    o->len = 0;
}

static void put(sink *o, const char *s, size_t n) {
    if (o->len + n > SINK_BUF) sink_flush(o);
    if (n > SINK_BUF) die("value too long for %s", o->path);
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static void puts_(sink *o, const char *s) { put(o, s, strlen(s)); }

static void sink_open(sink *o, const char *dir, const char *name) {
    if ((size_t)snprintf(o->path, sizeof o->path, "%s/%s", dir, name) >= sizeof o->path)
        die("path too long: %s", dir);
    o->f = fopen(o->path, "wb");
    if (!o->f) die("cannot create %s: %s", o->path, strerror(errno));
    o->buf = malloc(SINK_BUF);
    if (!o->buf) die("out of memory");
    o->len = 0;
}

static void sink_close(sink *o) {
    if (!o->f) return;
    sink_flush(o);
    if (fclose(o->f) != 0) die("cannot write %s", o->path);
    free(o->buf);
    o->f = NULL;
}

/* A JSON string: quotes, backslashes and control characters escaped; UTF-8 passes through. */
static void put_json_str(sink *o, const char *s) {
    put(o, "\"", 1);
    const char *run = s;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c != '"' && c != '\\' && c >= 0x20) continue;
        put(o, run, (size_t)(s - run));
        char esc[8];
        int n = c == '"' || c == '\\' ? snprintf(esc, sizeof esc, "\\%c", c)
                                      : snprintf(esc, sizeof esc, "\\u%04x", c);
        put(o, esc, (size_t)n);
        run = s + 1;
    }
    put(o, run, (size_t)(s - run));
    put(o, "\"", 1);
}

static bool csv_needs_quotes(const char *s) { return strpbrk(s, ",\"\r\n") != NULL; }

/* The body of a quoted CSV cell: quotes doubled (RFC 4180). */
static void put_csv_quoted_body(sink *o, const char *s) {
    const char *q;
    while ((q = strchr(s, '"')) != NULL) {
        put(o, s, (size_t)(q - s + 1));
        put(o, "\"", 1);
        s = q + 1;
    }
    puts_(o, s);
}

/* ------------------------------------------------------------------------------------------------
 * The schema (spec section 1), in the order of schema.json, the JSONL keys and the CSV columns.
 * ---------------------------------------------------------------------------------------------- */

enum {
    F_ID, F_NAME, F_EMAIL, F_DEPARTMENT, F_JOB_TITLE, F_EMPLOYEE_TYPE, F_STATUS, F_GENDER, F_CITY,
    F_SKILLS, F_JOIN_DATE, F_BIRTH_DATE, F_LEVEL, F_SALARY_BAND, F_IS_MANAGER, F_LEADER, F_COUNT
};

typedef struct field_def {
    const char *name;
    const char *type;
    bool multi;
    bool nullable;                 /* may be generated empty */
    const char *const *options;
    size_t noptions;
} field_def;

#define OPTS(a) a, COUNT(a)

static const field_def fields[F_COUNT] = {
    [F_ID] = {"id", "text", false, false, NULL, 0},
    [F_NAME] = {"name", "text", false, false, NULL, 0},
    [F_EMAIL] = {"email", "text", false, true, NULL, 0},
    [F_DEPARTMENT] = {"department", "department", true, false, NULL, 0},
    [F_JOB_TITLE] = {"job_title", "text", false, true, NULL, 0},
    [F_EMPLOYEE_TYPE] = {"employee_type", "option", false, true, OPTS(employee_types)},
    [F_STATUS] = {"status", "option", false, false, OPTS(statuses)},
    [F_GENDER] = {"gender", "option", false, true, OPTS(genders)},
    [F_CITY] = {"city", "option", false, true, OPTS(cities)},
    [F_SKILLS] = {"skills", "option", true, true, OPTS(skills)},
    [F_JOIN_DATE] = {"join_date", "date", false, true, NULL, 0},
    [F_BIRTH_DATE] = {"birth_date", "date", false, true, NULL, 0},
    [F_LEVEL] = {"level", "number", false, true, NULL, 0},
    [F_SALARY_BAND] = {"salary_band", "number", false, true, NULL, 0},
    [F_IS_MANAGER] = {"is_manager", "bool", false, true, NULL, 0},
    [F_LEADER] = {"leader", "personnel", false, true, NULL, 0},
};

static void write_schema(const char *dir) {
    sink o;
    sink_open(&o, dir, "schema.json");
    puts_(&o, "{\"fields\": [\n");
    for (int f = 0; f < F_COUNT; f++) {
        puts_(&o, "  {\"name\": ");
        put_json_str(&o, fields[f].name);
        puts_(&o, ", \"type\": ");
        put_json_str(&o, fields[f].type);
        if (fields[f].multi) puts_(&o, ", \"multi\": true");
        if (fields[f].options) {
            puts_(&o, ", \"options\": [");
            for (size_t i = 0; i < fields[f].noptions; i++) {
                if (i) puts_(&o, ", ");
                put_json_str(&o, fields[f].options[i]);
            }
            puts_(&o, "]");
        }
        puts_(&o, f + 1 < F_COUNT ? "},\n" : "}\n");
    }
    puts_(&o, "]}\n");
    sink_close(&o);
}

/* ------------------------------------------------------------------------------------------------
 * Names, prepared once: display form and lower-case ASCII form for e-mail addresses.
 * ---------------------------------------------------------------------------------------------- */

typedef struct name_entry {
    char display[64];
    char ascii[40];
    char gender;        /* 'F' or 'M' for first names and native names */
    const char *nick;   /* a nickname some members with this first name go by, or NULL */
} name_entry;

typedef struct name_table {
    name_entry *e;
    size_t n;
} name_table;

static void name_entry_init(name_entry *e, const char *spec, char gender) {
    const char *bar = strchr(spec, '|');
    size_t dlen = bar ? (size_t)(bar - spec) : strlen(spec);
    if (dlen >= sizeof e->display) die("name too long: %s", spec);
    memcpy(e->display, spec, dlen);
    e->display[dlen] = '\0';
    const char *a = bar ? bar + 1 : spec;
    size_t k = 0;
    for (; *a && k + 1 < sizeof e->ascii; a++) {
        char c = *a;
        if (c >= 'A' && c <= 'Z') c = (char)(c + 32);
        if ((c >= 'a' && c <= 'z') || c == '-') e->ascii[k++] = c;   /* drops ' and spaces */
    }
    e->ascii[k] = '\0';
    e->gender = gender;
    e->nick = NULL;
    for (size_t i = 0; i < COUNT(nicknames); i++)
        if (strcmp(nicknames[i][0], e->display) == 0) e->nick = nicknames[i][1];
}

/* Two entries with one ASCII spelling would give two members one e-mail address. */
static void check_unique_ascii(const name_table *t, const char *what) {
    for (size_t i = 0; i < t->n; i++)
        for (size_t j = i + 1; j < t->n; j++)
            if (strcmp(t->e[i].ascii, t->e[j].ascii) == 0) die("duplicate %s spelling", what);
}

static name_table first_names, surnames, natives;

/* Every family name with every given name: "王芳|wangfang". Returns how many were written. */
static size_t compose_chinese_names(name_entry *out) {
    size_t k = 0;
    for (size_t f = 0; f < COUNT(zh_family); f++)
        for (size_t g = 0; g < COUNT(zh_given); g++) {
            const char *family = zh_family[f], *given = zh_given[g] + 1;   /* skip the gender */
            const char *fb = strchr(family, '|'), *gb = strchr(given, '|');
            char spec[96];
            snprintf(spec, sizeof spec, "%.*s%.*s|%s%s", (int)(fb - family), family,
                     (int)(gb - given), given, fb + 1, gb + 1);
            name_entry_init(&out[k++], spec, zh_given[g][0]);
        }
    return k;
}

static void names_init(void) {
    first_names.n = COUNT(female_names) + COUNT(male_names);
    first_names.e = calloc(first_names.n, sizeof *first_names.e);
    surnames.n = COUNT(last_names);
    surnames.e = calloc(surnames.n, sizeof *surnames.e);
    natives.n = COUNT(zh_family) * COUNT(zh_given) + COUNT(whole_names);
    natives.e = calloc(natives.n, sizeof *natives.e);
    if (!first_names.e || !surnames.e || !natives.e) die("out of memory");
    for (size_t i = 0; i < COUNT(female_names); i++) name_entry_init(&first_names.e[i], female_names[i], 'F');
    for (size_t i = 0; i < COUNT(male_names); i++)
        name_entry_init(&first_names.e[COUNT(female_names) + i], male_names[i], 'M');
    for (size_t i = 0; i < COUNT(last_names); i++) name_entry_init(&surnames.e[i], last_names[i], 0);
    size_t k = compose_chinese_names(natives.e);
    for (size_t i = 0; i < COUNT(whole_names); i++)
        name_entry_init(&natives.e[k++], whole_names[i] + 1, whole_names[i][0]);
    check_unique_ascii(&first_names, "first name");
    check_unique_ascii(&surnames, "last name");
    check_unique_ascii(&natives, "native name");
}

static int skill_index(const char *name) {
    for (size_t i = 0; i < COUNT(skills); i++)
        if (strcmp(skills[i], name) == 0) return (int)i;
    die("skill pool names an undeclared skill: %s", name);
}

/* ------------------------------------------------------------------------------------------------
 * The department tree, built breadth first so that ids (D1, D2, ...) follow the levels: D1 is the
 * root and the divisions come right after it.
 * ---------------------------------------------------------------------------------------------- */

typedef struct dept {
    uint32_t parent;       /* NONE for the root */
    uint32_t budget;       /* descendants still to create below this department */
    uint32_t ordinal;      /* position among its siblings */
    uint32_t qual_start;   /* where its children start in the qualifier list */
    uint32_t weight;       /* share of the staff */
    uint32_t staff;        /* members whose main department this is, head excluded */
    uint32_t head;         /* member index, or NONE when there are fewer members than departments */
    uint32_t first_child, nchildren;
    uint16_t city;
    uint8_t depth;         /* 0 for the root */
    uint8_t division;
    char name[DEPT_NAME_MAX];
} dept;

typedef struct org {
    uint64_t seed;
    uint32_t nmembers, ndepts, max_depth, cycles;
    int32_t as_of;
    dept *d;
    uint32_t *main_dept;   /* per member */
    uint32_t *leader;      /* per member, NONE for none */
    uint8_t *role;         /* per member */
    uint32_t *email_count; /* per (first name, last name) pair, then per native name */
    uint32_t team_counter;
    int *pools[NTABLE];
    size_t pool_len[NTABLE];
} org;

enum { ROLE_STAFF, ROLE_LEAD, ROLE_HEAD };

/* How many children a department gets: a random spread that narrows with depth, but never fewer
 * than the k-th root of what is left for the k levels below, so that the budget runs out before the
 * depth limit forces one department to hold everything. */
static uint32_t fanout(rng *r, uint32_t budget, uint32_t depth, uint32_t levels_below) {
    if (levels_below <= 1) return budget;
    uint32_t c;
    if (depth == 0) c = 5 + rng_below(r, 8);
    else if (depth == 1) c = 2 + rng_below(r, 6);
    else if (depth == 2) c = 1 + rng_below(r, 5);
    else c = 1 + rng_below(r, 4);
    uint32_t need = 1;
    for (;;) {   /* smallest need with need^levels_below >= budget */
        uint64_t p = 1;
        for (uint32_t i = 0; i < levels_below && p < budget; i++) p *= need;
        if (p >= budget) break;
        need++;
    }
    /* A small budget keeps a third for the levels below, so small trees still get deep. */
    uint32_t cap = (budget * 2 + 2) / 3;
    if (c > cap) c = cap;
    if (c < need) c = need;
    return c < budget ? c : budget;
}

/* Copies a name, cut to fit at a UTF-8 character boundary. */
static void set_dept_name(dept *d, const char *s) {
    size_t n = strlen(s);
    if (n >= DEPT_NAME_MAX) {
        n = DEPT_NAME_MAX - 1;
        while (n && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
    }
    memcpy(d->name, s, n);
    d->name[n] = '\0';
}

static void dept_name(org *o, dept *d, const dept *parent) {
    char tmp[256];
    if (d->depth == 1) {
        if (d->ordinal < NDIVISIONS) snprintf(tmp, sizeof tmp, "%s", divisions[d->ordinal].name);
        else snprintf(tmp, sizeof tmp, "Division %u", d->ordinal + 1);
    } else if (d->depth == 2) {
        const char *const *units = divisions[d->division].units;
        uint32_t n = count_list(units);
        if (d->ordinal < n) snprintf(tmp, sizeof tmp, "%s", units[d->ordinal]);
        else snprintf(tmp, sizeof tmp, "%s %u", units[d->ordinal % n], d->ordinal / n + 1);
    } else if (d->depth == 3) {
        uint32_t nq = (uint32_t)COUNT(qualifiers);
        const char *q = qualifiers[(parent->qual_start + d->ordinal) % nq];
        if (d->ordinal < nq) snprintf(tmp, sizeof tmp, "%s %s", parent->name, q);
        else snprintf(tmp, sizeof tmp, "%s %s %u", parent->name, q, d->ordinal / nq + 1);
    } else {
        /* Stepping by 617, coprime with the 1600 pairs, visits every pair once in a scattered
         * order; past that the names get a number. */
        uint32_t pairs = (uint32_t)(COUNT(team_adjectives) * COUNT(team_nouns));
        uint32_t k = o->team_counter++;
        uint32_t p = (uint32_t)(((uint64_t)k * 617u + o->seed % pairs) % pairs);
        const char *adj = team_adjectives[p % COUNT(team_adjectives)];
        const char *noun = team_nouns[p / COUNT(team_adjectives)];
        if (k < pairs) snprintf(tmp, sizeof tmp, "Team %s %s", adj, noun);
        else snprintf(tmp, sizeof tmp, "Team %s %s %u", adj, noun, k / pairs + 1);
    }
    set_dept_name(d, tmp);
}

/* Where a department is based: offices are fixed by their letter, others mostly follow their parent. */
static uint16_t dept_city(rng *r, const dept *d, const dept *parent) {
    if (d->depth == 2 && strcmp(divisions[d->division].name, "Regional Offices") == 0)
        return (uint16_t)(d->ordinal % OFFICE_CITIES);
    if (d->depth >= 2 && rng_per_mille(r, 700)) return parent->city;
    /* The first few office cities are the big ones. */
    uint32_t k = rng_below(r, OFFICE_CITIES);
    return (uint16_t)(rng_per_mille(r, 500) ? k % 8 : k);
}

/* Splits what is left below a department among its children, unevenly: divisions by their size,
 * other departments at random (a small budget leaves some children as leaves). */
static void split_budget(rng *r, dept *ds, uint32_t first, uint32_t n, uint32_t left) {
    uint64_t w[64], total = 0;
    uint32_t groups = n < 64 ? n : 64;   /* a very wide department spreads over its first 64 */
    for (uint32_t i = 0; i < groups; i++) {
        const dept *d = &ds[first + i];
        w[i] = d->depth == 1 ? divisions[d->division].size * (5 + rng_below(r, 6)) : 2 + rng_below(r, 9);
        total += w[i];
    }
    uint64_t given = 0, cum = 0;
    for (uint32_t i = 0; i < groups; i++) {
        cum += w[i];
        uint64_t upto = (uint64_t)left * cum / total;
        ds[first + i].budget = (uint32_t)(upto - given);
        given = upto;
    }
}

static void build_tree(org *o) {
    rng r = rng_stream(o->seed, STREAM_TREE, 0);
    o->d = calloc(o->ndepts, sizeof *o->d);
    if (!o->d) die("out of memory");
    dept *ds = o->d;
    ds[0].parent = NONE;
    ds[0].budget = o->ndepts - 1;
    snprintf(ds[0].name, DEPT_NAME_MAX, "Lumen Group");
    uint32_t next = 1;
    for (uint32_t i = 0; i < next; i++) {
        dept *p = &ds[i];
        if (p->budget == 0) continue;
        uint32_t c = fanout(&r, p->budget, p->depth, o->max_depth - 1 - p->depth);
        if (p->depth == 0 && c > NDIVISIONS && o->max_depth > 2) c = NDIVISIONS;
        p->first_child = next;
        p->nchildren = c;
        p->qual_start = rng_below(&r, (uint32_t)COUNT(qualifiers));
        for (uint32_t k = 0; k < c; k++) {
            dept *d = &ds[next + k];
            d->parent = i;
            d->depth = (uint8_t)(p->depth + 1);
            d->ordinal = k;
            d->division = (uint8_t)(p->depth == 0 ? k % NDIVISIONS : p->division);
            dept_name(o, d, p);
            d->city = dept_city(&r, d, p);
        }
        split_budget(&r, ds, next, c, p->budget - c);
        next += c;
    }
    if (next != o->ndepts) die("internal error: department budget not used up");
    for (uint32_t i = 0; i < o->ndepts; i++) {
        /* Staff sit mostly in leaf departments; upper ones hold a few assistants and analysts. */
        ds[i].weight = ds[i].nchildren ? 1 + rng_below(&r, 3) : 3 + rng_below(&r, 25);
    }
}

/* ------------------------------------------------------------------------------------------------
 * Who is where and who reports to whom. Roles go to a random permutation of member indices, so the
 * CEO is not u1 and heads are spread over the id range.
 * ---------------------------------------------------------------------------------------------- */

static uint32_t nearest_head(const org *o, uint32_t d) {
    while (d != NONE && o->d[d].head == NONE) d = o->d[d].parent;
    return d == NONE ? NONE : o->d[d].head;
}

static uint32_t *shuffled(rng *r, uint32_t n) {
    uint32_t *p = malloc((size_t)n * sizeof *p);
    if (!p) die("out of memory");
    for (uint32_t i = 0; i < n; i++) p[i] = i;
    for (uint32_t i = n; i > 1; i--) {
        uint32_t j = rng_below(r, i);
        uint32_t t = p[i - 1];
        p[i - 1] = p[j];
        p[j] = t;
    }
    return p;
}

/* Staff counts proportional to the weights, exactly summing to `total` (integer arithmetic). */
static void spread_staff(org *o, uint32_t total) {
    uint64_t wsum = 0, cum = 0, given = 0;
    for (uint32_t i = 0; i < o->ndepts; i++) wsum += o->d[i].weight;
    for (uint32_t i = 0; i < o->ndepts; i++) {
        cum += o->d[i].weight;
        uint64_t upto = (uint64_t)total * cum / wsum;
        o->d[i].staff = (uint32_t)(upto - given);
        given = upto;
    }
}

static void assign_roles(org *o) {
    rng r = rng_stream(o->seed, STREAM_ROLES, 0);
    uint32_t n = o->nmembers;
    o->main_dept = malloc((size_t)n * sizeof *o->main_dept);
    o->leader = malloc((size_t)n * sizeof *o->leader);
    o->role = malloc(n);
    if (!o->main_dept || !o->leader || !o->role) die("out of memory");
    uint32_t *perm = shuffled(&r, n);
    uint32_t heads = n < o->ndepts ? n : o->ndepts, pos = 0;
    for (uint32_t i = 0; i < o->ndepts; i++) o->d[i].head = i < heads ? perm[pos++] : NONE;
    spread_staff(o, n - heads);
    for (uint32_t i = 0; i < heads; i++) {
        uint32_t m = o->d[i].head;
        o->main_dept[m] = i;
        o->role[m] = ROLE_HEAD;
        o->leader[m] = i == 0 ? NONE : nearest_head(o, o->d[i].parent);
    }
    for (uint32_t i = 0; i < o->ndepts; i++) {
        uint32_t c = o->d[i].staff, start = pos;
        /* Past a dozen people a department has team leads, one per eight or so. */
        uint32_t nleads = c >= 12 ? c / 8 : 0;
        uint32_t head = nearest_head(o, i);
        for (uint32_t j = 0; j < c; j++) {
            uint32_t m = perm[pos++];
            o->main_dept[m] = i;
            o->role[m] = j < nleads ? ROLE_LEAD : ROLE_STAFF;
            o->leader[m] = j < nleads ? head : nleads ? perm[start + rng_below(&r, nleads)] : head;
        }
    }
    free(perm);
}

/* --cycles K: K small leader loops (2 to 4 members) among staff nobody reports to, so each loop is
 * closed and the rest of the hierarchy stays intact. */
static void add_cycles(org *o) {
    if (!o->cycles) return;
    rng r = rng_stream(o->seed, STREAM_CYCLES, 0);
    uint8_t *taken = calloc(o->nmembers, 1);
    if (!taken) die("out of memory");
    for (uint32_t m = 0; m < o->nmembers; m++)
        if (o->leader[m] != NONE) taken[o->leader[m]] = 1;   /* has reports */
    for (uint32_t c = 0; c < o->cycles; c++) {
        uint32_t len = 2 + rng_below(&r, 3), loop[4], got = 0;
        for (uint32_t tries = 0; got < len && tries < 1000; tries++) {
            uint32_t m = rng_below(&r, o->nmembers);
            if (taken[m] || o->role[m] != ROLE_STAFF) continue;
            taken[m] = 1;
            loop[got++] = m;
        }
        if (got < 2) die("too few members for --cycles");
        for (uint32_t i = 0; i < got; i++) o->leader[loop[i]] = loop[(i + 1) % got];
    }
    free(taken);
}

/* ------------------------------------------------------------------------------------------------
 * One member's record: values point into a small scratch area, nothing is allocated per member.
 * ---------------------------------------------------------------------------------------------- */

typedef enum { V_MISSING, V_NULL, V_EMPTY_TEXT, V_EMPTY_LIST, V_TEXT, V_RAW, V_LIST } vkind;

#define MAX_LIST 6

typedef struct value {
    vkind kind;
    uint32_t n;                    /* V_LIST */
    const char *s[MAX_LIST];       /* V_TEXT, V_RAW: s[0] */
} value;

typedef struct record {
    value v[F_COUNT];
    char scratch[1024];
    size_t used;
} record;

static char *scratch(record *rec, size_t n) {
    if (rec->used + n > sizeof rec->scratch) die("internal error: record scratch overflow");
    char *p = rec->scratch + rec->used;
    rec->used += n;
    return p;
}

/* Ids, numbers and dates are written by hand: a million members need a few million of them, and
 * snprintf would be most of the run time. */
static char *put_digits(char *p, uint32_t x, int width) {
    char tmp[10];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + x % 10);
        x /= 10;
    } while (x || n < width);
    while (n) *p++ = tmp[--n];
    return p;
}

/* "u42", "D7", or the bare number when prefix is 0. */
static const char *fmt_u32(record *rec, char prefix, uint32_t x) {
    char *s = scratch(rec, 12), *p = s;
    if (prefix) *p++ = prefix;
    *put_digits(p, x, 1) = '\0';
    return s;
}

static const char *fmt_date(record *rec, int32_t days) {
    int y, m, d;
    ymd_from_days(days, &y, &m, &d);
    char *s = scratch(rec, 11), *p = s;
    p = put_digits(p, (uint32_t)y, 4);
    *p++ = '-';
    p = put_digits(p, (uint32_t)m, 2);
    *p++ = '-';
    *put_digits(p, (uint32_t)d, 2) = '\0';
    return s;
}

static void set_text(record *rec, int f, const char *s) {
    rec->v[f].kind = V_TEXT;
    rec->v[f].s[0] = s;
}

static void set_raw(record *rec, int f, const char *s) {
    rec->v[f].kind = V_RAW;
    rec->v[f].s[0] = s;
}

static void list_add(record *rec, int f, const char *s) {
    value *v = &rec->v[f];
    v->kind = V_LIST;
    for (uint32_t i = 0; i < v->n; i++)
        if (v->s[i] == s || strcmp(v->s[i], s) == 0) return;   /* a set: no duplicates */
    if (v->n < MAX_LIST) v->s[v->n++] = s;
}

/* About 5% of each nullable field is empty, in every spelling the spec allows: a missing key, null,
 * and "" for single values or [] for multi values. */
static void maybe_empty(rng *r, record *rec, int f) {
    if (!fields[f].nullable || !rng_per_mille(r, EMPTY_PER_MILLE)) return;
    uint32_t form = rng_below(r, 3);
    rec->v[f].kind = form == 0 ? V_MISSING : form == 1 ? V_NULL : fields[f].multi ? V_EMPTY_LIST : V_EMPTY_TEXT;
    rec->v[f].n = 0;
}

typedef struct person {
    uint32_t dept, level;
    uint8_t role;
    uint32_t etype;                /* index in employee_types */
    const division *div;
} person;

static void gen_name(org *o, rng *r, record *rec, char *gender) {
    char *name = scratch(rec, 160), *email = scratch(rec, 96);
    uint32_t slot;
    if (rng_per_mille(r, 15)) {
        uint32_t k = rng_below(r, (uint32_t)natives.n);
        const name_entry *e = &natives.e[k];
        snprintf(name, 160, "%s", e->display);
        slot = (uint32_t)(first_names.n * surnames.n) + k;
        *gender = e->gender;
        snprintf(email, 96, "%s", e->ascii);
    } else {
        uint32_t fi = rng_below(r, (uint32_t)first_names.n), li = rng_below(r, (uint32_t)surnames.n);
        const name_entry *fe = &first_names.e[fi], *le = &surnames.e[li];
        if (fe->nick && rng_per_mille(r, 100))
            snprintf(name, 160, "%s \"%s\" %s", fe->display, fe->nick, le->display);
        else
            snprintf(name, 160, "%s %s", fe->display, le->display);
        slot = fi * (uint32_t)surnames.n + li;
        *gender = fe->gender;
        snprintf(email, 96, "%s.%s", fe->ascii, le->ascii);
    }
    /* The second John Smith is john.smith2: addresses stay unique. */
    uint32_t seen = o->email_count[slot]++;
    size_t len = strlen(email);
    if (seen) len += (size_t)snprintf(email + len, 96 - len, "%u", seen + 1);
    snprintf(email + len, 96 - len, "@lumen.example");
    set_text(rec, F_NAME, name);
    set_text(rec, F_EMAIL, email);
}

static const char *gen_title(org *o, rng *r, record *rec, const person *p) {
    const dept *d = &o->d[p->dept];
    char *t = scratch(rec, 128);
    if (p->role == ROLE_HEAD) {
        if (d->depth == 0) return "Chief Executive Officer";
        if (d->depth == 1) return p->div->chief;
        if (d->depth == 2) snprintf(t, 128, "Director, %s", d->name);
        else if (d->depth == 3) snprintf(t, 128, "Head of %s", d->name);
        else return p->div->manager;
        return t;
    }
    const char *role = p->div->roles[rng_below(r, count_list(p->div->roles))];
    if (p->role == ROLE_LEAD) snprintf(t, 128, "Lead %s", role);
    else if (p->etype == 2) snprintf(t, 128, "%s Intern", role);
    else if (p->etype == 3) snprintf(t, 128, "%s (Contractor)", role);
    else if (p->level <= 2) snprintf(t, 128, "%s %s", rng_below(r, 2) ? "Junior" : "Associate", role);
    else if (p->level <= 5) snprintf(t, 128, "%s", role);
    else if (p->level <= 7) snprintf(t, 128, "Senior %s", role);
    else if (p->level == 8) snprintf(t, 128, "Staff %s", role);
    else snprintf(t, 128, "Principal %s", role);
    return t;
}

static uint32_t gen_level(rng *r, const org *o, const person *p) {
    if (p->role == ROLE_HEAD) {
        uint32_t depth = o->d[p->dept].depth;
        return depth == 0 ? 12 : depth == 1 ? 11 : depth == 2 ? 9 + rng_below(r, 2)
                                                 : depth == 3 ? 8 + rng_below(r, 2) : 7 + rng_below(r, 2);
    }
    if (p->role == ROLE_LEAD) return 6 + rng_below(r, 3);
    if (p->etype == 2) return 1;
    if (p->etype == 3) return 3 + rng_below(r, 4);
    return 2 + rng_below(r, 3) + rng_below(r, 3) + rng_below(r, 3);
}

static uint32_t gen_etype(rng *r, uint8_t role) {
    if (role != ROLE_STAFF) return 0;
    uint32_t x = rng_below(r, 100);
    return x < 85 ? 0 : x < 89 ? 1 : x < 95 ? 2 : 3;
}

static uint32_t gen_status(rng *r, uint8_t role) {
    uint32_t x = rng_below(r, 1000);
    if (role != ROLE_STAFF) return x < 980 ? 0 : x < 990 ? 1 : 2;
    return x < 920 ? 0 : x < 950 ? 1 : 2;
}

/* Birth and join dates that agree with each other and with the level: nobody joins before 18, the
 * company is 18 years old, hiring grew over time, interns are recent, 1% have a start date in the
 * coming month (pre-boarding). */
static void gen_dates(org *o, rng *r, record *rec, const person *p) {
    uint32_t age = p->etype == 2 ? 19 + rng_below(r, 6) : 21 + 2 * p->level + rng_below(r, 12);
    if (age > 67) age = 62 + rng_below(r, 6);
    int32_t birth = o->as_of - (int32_t)(age * 365 + age / 4) - (int32_t)rng_below(r, 365);
    int32_t founded = o->as_of - 18 * 365 - 4, ago;
    if (p->role == ROLE_HEAD) ago = 300 + (int32_t)rng_below(r, 6000);
    else if (p->etype == 2) ago = (int32_t)rng_below(r, 200);
    else if (p->etype == 3) ago = (int32_t)rng_below(r, 900);
    else {
        double u = rng_unit(r);
        ago = (int32_t)(u * u * (double)(o->as_of - founded));
    }
    int32_t join = o->as_of - ago;
    if (p->role == ROLE_STAFF && rng_per_mille(r, 10)) join = o->as_of + 1 + (int32_t)rng_below(r, 30);
    int32_t adult = birth + 18 * 365 + 5;
    if (join < adult) join = adult + (int32_t)rng_below(r, 400);
    if (join < founded) join = founded + (int32_t)rng_below(r, 60);
    set_text(rec, F_BIRTH_DATE, fmt_date(rec, birth));
    set_text(rec, F_JOIN_DATE, fmt_date(rec, join));
}

static void gen_skills(org *o, rng *r, record *rec, const person *p) {
    uint32_t div = (uint32_t)(p->div - divisions);
    uint32_t k = 1 + rng_below(r, 2) + rng_per_mille(r, 150);   /* 1 to 3, fewer when a draw repeats */
    for (uint32_t i = 0; i < k; i++)
        list_add(rec, F_SKILLS, skills[o->pools[div][rng_below(r, (uint32_t)o->pool_len[div])]]);
    if (rng_per_mille(r, 200)) list_add(rec, F_SKILLS, language_skills[rng_below(r, COUNT(language_skills))]);
}

/* 1 to 3 departments, the main one first; the others are a sibling of the main one or anywhere. */
static void gen_departments(org *o, rng *r, record *rec, const person *p) {
    list_add(rec, F_DEPARTMENT, fmt_u32(rec, 'D', p->dept + 1));
    uint32_t x = rng_below(r, 100), extra = x < 80 ? 0 : x < 95 ? 1 : 2;
    const dept *d = &o->d[p->dept];
    for (uint32_t i = 0; i < extra && o->ndepts > 1; i++) {
        uint32_t other;
        if (d->parent != NONE && rng_per_mille(r, 500)) {
            const dept *par = &o->d[d->parent];
            other = par->first_child + rng_below(r, par->nchildren);
        } else {
            other = rng_below(r, o->ndepts);
        }
        if (other != p->dept) list_add(rec, F_DEPARTMENT, fmt_u32(rec, 'D', other + 1));
    }
}

static void gen_city(org *o, rng *r, record *rec, const person *p) {
    uint32_t c = o->d[p->dept].city;
    if (rng_per_mille(r, 250)) c = rng_per_mille(r, 600) ? rng_below(r, OFFICE_CITIES) : rng_below(r, COUNT(cities));
    set_text(rec, F_CITY, cities[c]);
}

static void gen_gender(rng *r, record *rec, char name_gender) {
    uint32_t x = rng_below(r, 100);
    const char *g = x < 93 ? (name_gender == 'F' ? genders[0] : genders[1]) : x < 95 ? genders[2] : genders[3];
    set_text(rec, F_GENDER, g);
}

static void gen_member(org *o, uint32_t m, record *rec) {
    rng r = rng_stream(o->seed, STREAM_MEMBER, m);
    memset(rec->v, 0, sizeof rec->v);
    rec->used = 0;
    person p = {.dept = o->main_dept[m], .role = o->role[m]};
    p.div = &divisions[o->d[p.dept].depth == 0 ? EXECUTIVE : o->d[p.dept].division];
    p.etype = gen_etype(&r, p.role);
    p.level = gen_level(&r, o, &p);
    char name_gender;
    set_text(rec, F_ID, fmt_u32(rec, 'u', m + 1));
    gen_name(o, &r, rec, &name_gender);
    gen_departments(o, &r, rec, &p);
    set_text(rec, F_JOB_TITLE, gen_title(o, &r, rec, &p));
    set_text(rec, F_EMPLOYEE_TYPE, employee_types[p.etype]);
    set_text(rec, F_STATUS, statuses[gen_status(&r, p.role)]);
    gen_gender(&r, rec, name_gender);
    gen_city(o, &r, rec, &p);
    gen_skills(o, &r, rec, &p);
    gen_dates(o, &r, rec, &p);
    set_raw(rec, F_LEVEL, fmt_u32(rec, 0, p.level));
    /* Salary bands run in halves, loosely tied to the level: 3.5, 4, 4.5 (whole ones written as
     * integers, so the column mixes both spellings of a number). */
    uint32_t halves = p.level + rng_below(&r, 3);
    char *band = scratch(rec, 16), *end = put_digits(band, halves / 2, 1);
    if (halves % 2) *end++ = '.', *end++ = '5';
    *end = '\0';
    set_raw(rec, F_SALARY_BAND, band);
    set_raw(rec, F_IS_MANAGER, p.role != ROLE_STAFF ? "true" : "false");
    if (o->leader[m] != NONE) set_text(rec, F_LEADER, fmt_u32(rec, 'u', o->leader[m] + 1));
    else rec->v[F_LEADER].kind = V_NULL;
    for (int f = 0; f < F_COUNT; f++) {
        /* Heads and leads keep their leader, so reporting lines hold together. */
        if (f == F_LEADER && p.role != ROLE_STAFF) continue;
        maybe_empty(&r, rec, f);
    }
}

/* ------------------------------------------------------------------------------------------------
 * Writers.
 * ---------------------------------------------------------------------------------------------- */

static void json_member(sink *o, const record *rec) {
    bool first = true;
    put(o, "{", 1);
    for (int f = 0; f < F_COUNT; f++) {
        const value *v = &rec->v[f];
        if (v->kind == V_MISSING) continue;
        if (!first) put(o, ",", 1);
        first = false;
        put_json_str(o, fields[f].name);
        put(o, ":", 1);
        switch (v->kind) {
        case V_NULL: puts_(o, "null"); break;
        case V_EMPTY_TEXT: puts_(o, "\"\""); break;
        case V_EMPTY_LIST: puts_(o, "[]"); break;
        case V_TEXT: put_json_str(o, v->s[0]); break;
        case V_RAW: puts_(o, v->s[0]); break;
        case V_LIST:
            put(o, "[", 1);
            for (uint32_t i = 0; i < v->n; i++) {
                if (i) put(o, ",", 1);
                put_json_str(o, v->s[i]);
            }
            put(o, "]", 1);
            break;
        case V_MISSING: break;
        }
    }
    put(o, "}\n", 2);
}

/* A CSV cell; a multi value is its items joined by ';', quoted as one cell when any item needs it.
 * Every empty spelling becomes an empty cell. */
static void csv_cell(sink *o, const value *v) {
    if (v->kind == V_TEXT || v->kind == V_RAW) {
        if (!csv_needs_quotes(v->s[0])) puts_(o, v->s[0]);
        else {
            put(o, "\"", 1);
            put_csv_quoted_body(o, v->s[0]);
            put(o, "\"", 1);
        }
        return;
    }
    if (v->kind != V_LIST) return;
    bool quote = false;
    for (uint32_t i = 0; i < v->n; i++) quote = quote || csv_needs_quotes(v->s[i]);
    if (quote) put(o, "\"", 1);
    for (uint32_t i = 0; i < v->n; i++) {
        if (i) put(o, ";", 1);
        if (quote) put_csv_quoted_body(o, v->s[i]);
        else puts_(o, v->s[i]);
    }
    if (quote) put(o, "\"", 1);
}

static void csv_member(sink *o, const record *rec) {
    for (int f = 0; f < F_COUNT; f++) {
        if (f) put(o, ",", 1);
        csv_cell(o, &rec->v[f]);
    }
    put(o, "\n", 1);
}

static void csv_text(sink *o, const char *s) {
    value v = {.kind = V_TEXT, .s = {s}};
    csv_cell(o, &v);
}

static void write_departments(const org *o, sink *js, sink *cs) {
    char id[16], parent[16];
    if (cs->f) puts_(cs, "id,parent,name\n");
    for (uint32_t i = 0; i < o->ndepts; i++) {
        const dept *d = &o->d[i];
        snprintf(id, sizeof id, "D%u", i + 1);
        snprintf(parent, sizeof parent, "D%u", d->parent + 1);
        if (js->f) {
            puts_(js, "{\"id\":");
            put_json_str(js, id);
            puts_(js, ",\"parent\":");
            if (d->parent == NONE) puts_(js, "null");
            else put_json_str(js, parent);
            puts_(js, ",\"name\":");
            put_json_str(js, d->name);
            puts_(js, "}\n");
        }
        if (cs->f) {
            csv_text(cs, id);
            put(cs, ",", 1);
            if (d->parent != NONE) csv_text(cs, parent);
            put(cs, ",", 1);
            csv_text(cs, d->name);
            put(cs, "\n", 1);
        }
    }
}

static void write_members(org *o, sink *js, sink *cs) {
    record *rec = malloc(sizeof *rec);
    if (!rec) die("out of memory");
    if (cs->f) {
        for (int f = 0; f < F_COUNT; f++) {
            if (f) put(cs, ",", 1);
            puts_(cs, fields[f].name);
        }
        put(cs, "\n", 1);
    }
    for (uint32_t m = 0; m < o->nmembers; m++) {
        gen_member(o, m, rec);
        if (js->f) json_member(js, rec);
        if (cs->f) csv_member(cs, rec);
    }
    free(rec);
}

/* ------------------------------------------------------------------------------------------------
 * Command line.
 * ---------------------------------------------------------------------------------------------- */

typedef struct options {
    uint64_t members, departments, seed, max_depth, cycles;
    bool jsonl, csv;
    int32_t as_of;
    const char *out;
} options;

static void usage(int code) {
    fprintf(code ? stderr : stdout,
            "usage: gen-org --members N [--departments D] [--seed S] [--format jsonl|csv|both]\n"
            "               [--max-depth L] [--cycles K] [--as-of YYYY-MM-DD] -o DIR\n"
            "  --members N       members to generate (1 to 100000000)\n"
            "  --departments D   departments, root included (default N/200, at least 50, at most 5000,\n"
            "                    never more than N)\n"
            "  --seed S          any 64-bit number (default 1); same flags, same bytes\n"
            "  --format F        jsonl (default), csv, or both; schema.json is always written\n"
            "  --max-depth L     levels of the department tree, root included (2 to 16, default 8)\n"
            "  --cycles K        add K small leader loops (default 0: the hierarchy is a tree)\n"
            "  --as-of DATE      the day the organisation is seen from (default 2026-11-21)\n");
    exit(code);
}

static uint64_t parse_u64(const char *flag, const char *s, uint64_t lo, uint64_t hi) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || *s == '-' || v < lo || v > hi)
        bad_arg("%s wants a number from %llu to %llu, not '%s'", flag, (unsigned long long)lo,
                (unsigned long long)hi, s);
    return v;
}

static void parse_args(int argc, char **argv, options *opt) {
    memset(opt, 0, sizeof *opt);
    opt->seed = 1;
    opt->max_depth = 8;
    opt->jsonl = true;
    parse_date("2026-11-21", &opt->as_of);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) usage(0);
        if (i + 1 >= argc) usage(2);
        const char *v = argv[++i];
        if (strcmp(a, "--members") == 0) opt->members = parse_u64(a, v, 1, 100000000);
        else if (strcmp(a, "--departments") == 0) opt->departments = parse_u64(a, v, 1, 10000000);
        else if (strcmp(a, "--seed") == 0) opt->seed = parse_u64(a, v, 0, UINT64_MAX);
        else if (strcmp(a, "--max-depth") == 0) opt->max_depth = parse_u64(a, v, 2, MAX_DEPTH_LIMIT);
        else if (strcmp(a, "--cycles") == 0) opt->cycles = parse_u64(a, v, 0, 1000000);
        else if (strcmp(a, "-o") == 0 || strcmp(a, "--out") == 0) opt->out = v;
        else if (strcmp(a, "--as-of") == 0) {
            if (!parse_date(v, &opt->as_of)) bad_arg("--as-of wants a date YYYY-MM-DD, not '%s'", v);
        } else if (strcmp(a, "--format") == 0) {
            opt->jsonl = strcmp(v, "jsonl") == 0 || strcmp(v, "both") == 0;
            opt->csv = strcmp(v, "csv") == 0 || strcmp(v, "both") == 0;
            if (!opt->jsonl && !opt->csv) bad_arg("--format is jsonl, csv or both, not '%s'", v);
        } else {
            fprintf(stderr, "gen-org: unknown option '%s'\n", a);
            usage(2);
        }
    }
    if (!opt->members || !opt->out) usage(2);
    if (!opt->departments) {
        uint64_t d = opt->members / 200;
        opt->departments = d < 50 ? 50 : d > 5000 ? 5000 : d;
    }
    if (opt->departments > opt->members) opt->departments = opt->members;
    if (opt->cycles * 4 > opt->members / 2) bad_arg("--cycles %llu is too many for %llu members", (unsigned long long)opt->cycles,
            (unsigned long long)opt->members);
}

/* mkdir -p */
static void make_dirs(const char *path) {
    char buf[4096];
    if (strlen(path) >= sizeof buf) die("path too long: %s", path);
    strcpy(buf, path);
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p) continue;
        char c = *p;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) die("cannot create folder %s", buf);
        if (!c) break;
        *p = c;
    }
}

static void org_init(org *o, const options *opt) {
    memset(o, 0, sizeof *o);
    o->seed = opt->seed;
    o->nmembers = (uint32_t)opt->members;
    o->ndepts = (uint32_t)opt->departments;
    o->max_depth = (uint32_t)opt->max_depth;
    o->cycles = (uint32_t)opt->cycles;
    o->as_of = opt->as_of;
    o->email_count = calloc(first_names.n * surnames.n + natives.n, sizeof *o->email_count);
    if (!o->email_count) die("out of memory");
    for (size_t dv = 0; dv < NTABLE; dv++) {
        o->pool_len[dv] = count_list(divisions[dv].skills);
        o->pools[dv] = malloc(o->pool_len[dv] * sizeof(int));
        if (!o->pools[dv]) die("out of memory");
        for (size_t i = 0; i < o->pool_len[dv]; i++) o->pools[dv][i] = skill_index(divisions[dv].skills[i]);
    }
}

static void org_free(org *o) {
    free(o->d);
    free(o->main_dept);
    free(o->leader);
    free(o->role);
    free(o->email_count);
    for (size_t dv = 0; dv < NTABLE; dv++) free(o->pools[dv]);
}

int main(int argc, char **argv) {
    options opt;
    parse_args(argc, argv, &opt);
    clock_t t0 = clock();
    names_init();
    org o;
    org_init(&o, &opt);
    build_tree(&o);
    assign_roles(&o);
    add_cycles(&o);
    make_dirs(opt.out);
    write_schema(opt.out);
    sink dj = {0}, dc = {0}, mj = {0}, mc = {0};
    if (opt.jsonl) {
        sink_open(&dj, opt.out, "departments.jsonl");
        sink_open(&mj, opt.out, "members.jsonl");
    }
    if (opt.csv) {
        sink_open(&dc, opt.out, "departments.csv");
        sink_open(&mc, opt.out, "members.csv");
    }
    write_departments(&o, &dj, &dc);
    write_members(&o, &mj, &mc);
    sink_close(&dj);
    sink_close(&dc);
    sink_close(&mj);
    sink_close(&mc);
    uint32_t depth = 0;
    for (uint32_t i = 0; i < o.ndepts; i++)
        if (o.d[i].depth + 1u > depth) depth = o.d[i].depth + 1u;
    fprintf(stderr, "gen-org: %u members, %u departments (%u levels) in %s, %.2f s CPU\n", o.nmembers,
            o.ndepts, depth, opt.out, (double)(clock() - t0) / CLOCKS_PER_SEC);
    org_free(&o);
    free(first_names.e);
    free(surnames.e);
    free(natives.e);
    return 0;
}
