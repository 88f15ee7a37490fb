___TERMS_OF_SERVICE___

By creating or modifying this file you agree to Google Tag Manager's Community Template Gallery Developer Terms of Service available at
https://developers.google.com/tag-manager/gallery-tos (or such other URL as Google may provide), as modified from time to time.


___INFO___

{
  "type": "TAG",
  "id": "cvt_temp_public_id",
  "version": 1,
  "securityGroups": [],
  "displayName": "Kelisim Consent Mode",
  "categories": [
    "TAG_MANAGEMENT",
    "UTILITY"
  ],
  "brand": {
    "id": "brand_dummy",
    "displayName": "Kelisim"
  },
  "description": "Consent Mode v2 defaults and updates from Kelisim, and one consent type per Kelisim vendor (kelisim_<vendor id>) for tags' additional consent checks.",
  "containerContexts": [
    "WEB"
  ]
}


___TEMPLATE_PARAMETERS___

[
  {
    "type": "TEXT",
    "name": "waitForUpdate",
    "displayName": "Wait for update (milliseconds)",
    "simpleValueType": true,
    "defaultValue": 500,
    "valueValidators": [
      {
        "type": "NON_NEGATIVE_NUMBER"
      }
    ],
    "help": "How long tags that need consent wait for Kelisim's choice."
  },
  {
    "type": "SIMPLE_TABLE",
    "name": "googleMapping",
    "displayName": "Google consent types granted by Kelisim vendors",
    "simpleTableColumns": [
      {
        "defaultValue": "",
        "displayName": "Google consent type",
        "name": "consentType",
        "type": "SELECT",
        "selectItems": [
          {
            "value": "ad_storage",
            "displayValue": "ad_storage"
          },
          {
            "value": "analytics_storage",
            "displayValue": "analytics_storage"
          },
          {
            "value": "ad_user_data",
            "displayValue": "ad_user_data"
          },
          {
            "value": "ad_personalization",
            "displayValue": "ad_personalization"
          }
        ]
      },
      {
        "defaultValue": "",
        "displayName": "Kelisim vendor ids (comma-separated)",
        "name": "vendors",
        "type": "TEXT"
      }
    ],
    "defaultValue": [
      {
        "consentType": "analytics_storage",
        "vendors": "google_analytics"
      }
    ],
    "help": "A type is granted when any vendor listed for it is. Vendors: google_tag_manager, google_analytics, firebase_analytics, yandex_metrika, appsflyer, userx, vk, mail_ru, amplitude, mytarget, microsoft_clarity, juicyscore, matomo, flocktory."
  },
  {
    "type": "CHECKBOX",
    "name": "debug",
    "checkboxText": "Log consent updates to the console (preview mode)",
    "simpleValueType": true
  }
]


___SANDBOXED_JS_FOR_WEB_TEMPLATE___

// Kelisim Consent Mode — the sandboxed code of the Google Tag Manager template (template.tpl is
// built from this file by scripts/build-gtm-template; edit here, then rebuild).
//
// Fire the tag on "Consent Initialization - All Pages" and on the Custom Event "kelisim_consent".
// 1. Defaults, once per page: every Google consent type and one type per Kelisim vendor
//    (kelisim_<vendor id>) denied, with wait_for_update.
// 2. Kelisim's choice, whenever it is known: from the kelisim_consent event's data layer value, or
//    window.kelisim.get() when Kelisim decided before this tag ran; and window.kelisim.on('consent')
//    for every later change. kelisim_<id> is granted exactly when Kelisim granted that vendor; a
//    Google type is granted only when a vendor mapped to it is (analytics_storage: Google Analytics
//    by default; granting Google Tag Manager alone grants nothing but kelisim_google_tag_manager).
// Container tags then name their vendor's type under "Additional consent checks".
const setDefaultConsentState = require('setDefaultConsentState');
const updateConsentState = require('updateConsentState');
const gtagSet = require('gtagSet');
const callInWindow = require('callInWindow');
const copyFromWindow = require('copyFromWindow');
const copyFromDataLayer = require('copyFromDataLayer');
const templateStorage = require('templateStorage');
const getType = require('getType');
const logToConsole = require('logToConsole');

const VENDORS = ["google_tag_manager", "google_analytics", "firebase_analytics", "yandex_metrika", "appsflyer", "userx", "vk", "mail_ru", "amplitude", "mytarget", "microsoft_clarity", "juicyscore", "matomo", "flocktory"];
const PREFIX = 'kelisim_';
const GOOGLE_TYPES = ['ad_storage', 'analytics_storage', 'ad_user_data', 'ad_personalization'];

function debug(message) {
  if (data.debug) logToConsole('Kelisim GTM: ' + message);
}

function splitIds(text) {
  const ids = [];
  const parts = (text || '').split(',');
  for (let i = 0; i < parts.length; i++) {
    const id = parts[i].trim();
    if (id) ids.push(id);
  }
  return ids;
}

// Google consent type -> the Kelisim vendor ids that grant it (the template's table).
function googleMapping() {
  const mapping = {};
  const rows = data.googleMapping || [];
  for (let i = 0; i < rows.length; i++) {
    mapping[rows[i].consentType] = splitIds(rows[i].vendors);
  }
  return mapping;
}

function setDefaults() {
  if (templateStorage.getItem('defaults')) return;
  const defaults = {wait_for_update: data.waitForUpdate || 500};
  for (let i = 0; i < GOOGLE_TYPES.length; i++) defaults[GOOGLE_TYPES[i]] = 'denied';
  for (let i = 0; i < VENDORS.length; i++) defaults[PREFIX + VENDORS[i]] = 'denied';
  setDefaultConsentState(defaults);
  gtagSet({ads_data_redaction: true});
  templateStorage.setItem('defaults', true);
  debug('defaults set: every type denied');
}

function apply(granted) {
  if (getType(granted) !== 'array') return;
  const isGranted = {};
  for (let i = 0; i < granted.length; i++) isGranted[granted[i]] = true;
  const update = {};
  for (let i = 0; i < VENDORS.length; i++) {
    update[PREFIX + VENDORS[i]] = isGranted[VENDORS[i]] ? 'granted' : 'denied';
  }
  const mapping = googleMapping();
  for (let i = 0; i < GOOGLE_TYPES.length; i++) {
    const vendors = mapping[GOOGLE_TYPES[i]] || [];
    let on = false;
    for (let j = 0; j < vendors.length; j++) on = on || isGranted[vendors[j]] === true;
    update[GOOGLE_TYPES[i]] = on ? 'granted' : 'denied';
  }
  updateConsentState(update);
  debug('update: ' + granted.join(', '));
}

setDefaults();
const fromEvent = copyFromDataLayer('kelisim');
if (fromEvent && getType(fromEvent.granted) === 'array') {
  apply(fromEvent.granted);
} else if (copyFromWindow('kelisim')) {
  const state = callInWindow('kelisim.get');
  if (state && state.decided) apply(state.granted);
}
if (!templateStorage.getItem('listening') && copyFromWindow('kelisim')) {
  callInWindow('kelisim.on', 'consent', function (state) {
    if (state) apply(state.granted);
  });
  templateStorage.setItem('listening', true);
}
data.gtmOnSuccess();


___WEB_PERMISSIONS___

[
  {
    "instance": {
      "key": {
        "publicId": "access_consent",
        "versionId": "1"
      },
      "param": [
        {
          "key": "consentTypes",
          "value": {
            "type": 2,
            "listItem": [
              {
                "type": 3,
                "mapKey": [
                  {
                    "type": 1,
                    "string": "consentType"
                  },
                  {
                    "type": 1,
                    "string": "read"
                  },
                  {
                    "type": 1,
                    "string": "write"
                  }
                ],
                "mapValue": [
                  {
                    "type": 1,
                    "string": "ad_storage"
                  },
                  {
                    "type": 8,
                    "boolean": true
                  },
                  {
                    "type": 8,
                    "boolean": true
                  }
                ]
              },
              {
                "type": 3,
                "mapKey": [
                  {
                    "type": 1,
                    "string": "consentType"
                  },
                  {
                    "type": 1,
                    "string": "read"
                  },
                  {
                    "type": 1,
                    "string": "write"
                  }
                ],
                "mapValue": [
                  {
                    "type": 1,
                    "string": "analytics_storage"
                  },
                  {
                    "type": 8,
                    "boolean": true
                  },
                  {
                    "type": 8,
                    "boolean": true
                  }
                ]
              },
              {
                "type": 3,
                "mapKey": [
                  {
                    "type": 1,
                    "string": "consentType"
                  },
                  {
                    "type": 1,
                    "string": "read"
                  },
                  {
                    "type": 1,
                    "string": "write"
                  }
                ],
                "mapValue": [
                  {
                    "type": 1,
                    "string": "ad_user_data"
                  },
                  {
                    "type": 8,
                    "boolean": true
                  },
                  {
                    "type": 8,
                    "boolean": true
                  }
                ]
              },
              {
                "type": 3,
                "mapKey": [
                  {
                    "type": 1,
                    "string": "consentType"
                  },
                  {
                    "type": 1,
                    "string": "read"
                  },
                  {
                    "type": 1,
                    "string": "write"
                  }
                ],
                "mapValue": [
                  {
                    "type": 1,
                    "string": "ad_personalization"
                  },
                  {
                    "type": 8,
                    "boolean": true
                  },
                  {
                    "type": 8,
                    "boolean": true
                  }
                ]
              },
              {
                "type": 3,
                "mapKey": [
                  {
                    "type": 1,
                    "string": "consentType"
                  },
                  {
                    "type": 1,
                    "string": "read"
                  },
                  {
                    "type": 1,
                    "string": "write"
                  }
                ],
                "mapValue": [
                  {
                    "type": 1,
                    "string": "kelisim_google_tag_manager"
                  },
                  {
                    "type": 8,
                    "boolean": true
                  },
                  {
                    "type": 8,
                    "boolean": true
                  }
                ]
              },
              {
                "type": 3,
                "mapKey": [
                  {
                    "type": 1,
                    "string": "consentType"
                  },
                  {
                    "type": 1,
                    "string": "read"
                  },
                  {
                    "type": 1,
                    "string": "write"
                  }
                ],
                "mapValue": [
                  {
                    "type": 1,
                    "string": "kelisim_google_analytics"
                  },
                  {
                    "type": 8,
                    "boolean": true
                  },
                  {
                    "type": 8,
                    "boolean": true
                  }
                ]
              },
              {
                "type": 3,
                "mapKey": [
                  {
                    "type": 1,
                    "string": "consentType"
                  },
                  {
                    "type": 1,
                    "string": "read"
                  },
                  {
                    "type": 1,
                    "string": "write"
                  }
                ],
                "mapValue": [
                  {
                    "type": 1,
                    "string": "kelisim_firebase_analytics"
                  },
                  {
                    "type": 8,
                    "boolean": true
                  },
                  {
                    "type": 8,
                    "boolean": true
                  }
                ]
              },
              {
                "type": 3,
                "mapKey": [
                  {
                    "type": 1,
                    "string": "consentType"
                  },
                  {
                    "type": 1,
                    "string": "read"
                  },
                  {
                    "type": 1,
                    "string": "write"
                  }
                ],
                "mapValue": [
                  {
                    "type": 1,
                    "string": "kelisim_yandex_metrika"
                  },
                  {
                    "type": 8,
                    "boolean": true
                  },
                  {
                    "type": 8,
                    "boolean": true
                  }
                ]
              },
              {
                "type": 3,
                "mapKey": [
                  {
                    "type": 1,
                    "string": "consentType"
                  },
                  {
                    "type": 1,
                    "string": "read"
                  },
                  {
                    "type": 1,
                    "string": "write"
                  }
                ],
                "mapValue": [
                  {
                    "type": 1,
                    "string": "kelisim_appsflyer"
                  },
                  {
                    "type": 8,
                    "boolean": true
                  },
                  {
                    "type": 8,
                    "boolean": true
                  }
                ]
              },
              {
                "type": 3,
                "mapKey": [
                  {
                    "type": 1,
                    "string": "consentType"
                  },
                  {
                    "type": 1,
                    "string": "read"
                  },
                  {
                    "type": 1,
                    "string": "write"
                  }
                ],
                "mapValue": [
                  {
                    "type": 1,
                    "string": "kelisim_userx"
                  },
                  {
                    "type": 8,
                    "boolean": true
                  },
                  {
                    "type": 8,
                    "boolean": true
                  }
                ]
              },
              {
                "type": 3,
                "mapKey": [
                  {
                    "type": 1,
                    "string": "consentType"
                  },
                  {
                    "type": 1,
                    "string": "read"
                  },
                  {
                    "type": 1,
                    "string": "write"
                  }
                ],
                "mapValue": [
                  {
                    "type": 1,
                    "string": "kelisim_vk"
                  },
                  {
                    "type": 8,
                    "boolean": true
                  },
                  {
                    "type": 8,
                    "boolean": true
                  }
                ]
              },
              {
                "type": 3,
                "mapKey": [
                  {
                    "type": 1,
                    "string": "consentType"
                  },
                  {
                    "type": 1,
                    "string": "read"
                  },
                  {
                    "type": 1,
                    "string": "write"
                  }
                ],
                "mapValue": [
                  {
                    "type": 1,
                    "string": "kelisim_mail_ru"
                  },
                  {
                    "type": 8,
                    "boolean": true
                  },
                  {
                    "type": 8,
                    "boolean": true
                  }
                ]
              },
              {
                "type": 3,
                "mapKey": [
                  {
                    "type": 1,
                    "string": "consentType"
                  },
                  {
                    "type": 1,
                    "string": "read"
                  },
                  {
                    "type": 1,
                    "string": "write"
                  }
                ],
                "mapValue": [
                  {
                    "type": 1,
                    "string": "kelisim_amplitude"
                  },
                  {
                    "type": 8,
                    "boolean": true
                  },
                  {
                    "type": 8,
                    "boolean": true
                  }
                ]
              },
              {
                "type": 3,
                "mapKey": [
                  {
                    "type": 1,
                    "string": "consentType"
                  },
                  {
                    "type": 1,
                    "string": "read"
                  },
                  {
                    "type": 1,
                    "string": "write"
                  }
                ],
                "mapValue": [
                  {
                    "type": 1,
                    "string": "kelisim_mytarget"
                  },
                  {
                    "type": 8,
                    "boolean": true
                  },
                  {
                    "type": 8,
                    "boolean": true
                  }
                ]
              },
              {
                "type": 3,
                "mapKey": [
                  {
                    "type": 1,
                    "string": "consentType"
                  },
                  {
                    "type": 1,
                    "string": "read"
                  },
                  {
                    "type": 1,
                    "string": "write"
                  }
                ],
                "mapValue": [
                  {
                    "type": 1,
                    "string": "kelisim_microsoft_clarity"
                  },
                  {
                    "type": 8,
                    "boolean": true
                  },
                  {
                    "type": 8,
                    "boolean": true
                  }
                ]
              },
              {
                "type": 3,
                "mapKey": [
                  {
                    "type": 1,
                    "string": "consentType"
                  },
                  {
                    "type": 1,
                    "string": "read"
                  },
                  {
                    "type": 1,
                    "string": "write"
                  }
                ],
                "mapValue": [
                  {
                    "type": 1,
                    "string": "kelisim_juicyscore"
                  },
                  {
                    "type": 8,
                    "boolean": true
                  },
                  {
                    "type": 8,
                    "boolean": true
                  }
                ]
              },
              {
                "type": 3,
                "mapKey": [
                  {
                    "type": 1,
                    "string": "consentType"
                  },
                  {
                    "type": 1,
                    "string": "read"
                  },
                  {
                    "type": 1,
                    "string": "write"
                  }
                ],
                "mapValue": [
                  {
                    "type": 1,
                    "string": "kelisim_matomo"
                  },
                  {
                    "type": 8,
                    "boolean": true
                  },
                  {
                    "type": 8,
                    "boolean": true
                  }
                ]
              },
              {
                "type": 3,
                "mapKey": [
                  {
                    "type": 1,
                    "string": "consentType"
                  },
                  {
                    "type": 1,
                    "string": "read"
                  },
                  {
                    "type": 1,
                    "string": "write"
                  }
                ],
                "mapValue": [
                  {
                    "type": 1,
                    "string": "kelisim_flocktory"
                  },
                  {
                    "type": 8,
                    "boolean": true
                  },
                  {
                    "type": 8,
                    "boolean": true
                  }
                ]
              }
            ]
          }
        }
      ]
    },
    "clientAnnotations": {
      "isEditedByUser": true
    },
    "isRequired": true
  },
  {
    "instance": {
      "key": {
        "publicId": "access_globals",
        "versionId": "1"
      },
      "param": [
        {
          "key": "keys",
          "value": {
            "type": 2,
            "listItem": [
              {
                "type": 3,
                "mapKey": [
                  {
                    "type": 1,
                    "string": "key"
                  },
                  {
                    "type": 1,
                    "string": "read"
                  },
                  {
                    "type": 1,
                    "string": "write"
                  },
                  {
                    "type": 1,
                    "string": "execute"
                  }
                ],
                "mapValue": [
                  {
                    "type": 1,
                    "string": "kelisim"
                  },
                  {
                    "type": 8,
                    "boolean": true
                  },
                  {
                    "type": 8,
                    "boolean": false
                  },
                  {
                    "type": 8,
                    "boolean": false
                  }
                ]
              },
              {
                "type": 3,
                "mapKey": [
                  {
                    "type": 1,
                    "string": "key"
                  },
                  {
                    "type": 1,
                    "string": "read"
                  },
                  {
                    "type": 1,
                    "string": "write"
                  },
                  {
                    "type": 1,
                    "string": "execute"
                  }
                ],
                "mapValue": [
                  {
                    "type": 1,
                    "string": "kelisim.get"
                  },
                  {
                    "type": 8,
                    "boolean": false
                  },
                  {
                    "type": 8,
                    "boolean": false
                  },
                  {
                    "type": 8,
                    "boolean": true
                  }
                ]
              },
              {
                "type": 3,
                "mapKey": [
                  {
                    "type": 1,
                    "string": "key"
                  },
                  {
                    "type": 1,
                    "string": "read"
                  },
                  {
                    "type": 1,
                    "string": "write"
                  },
                  {
                    "type": 1,
                    "string": "execute"
                  }
                ],
                "mapValue": [
                  {
                    "type": 1,
                    "string": "kelisim.on"
                  },
                  {
                    "type": 8,
                    "boolean": false
                  },
                  {
                    "type": 8,
                    "boolean": false
                  },
                  {
                    "type": 8,
                    "boolean": true
                  }
                ]
              }
            ]
          }
        }
      ]
    },
    "clientAnnotations": {
      "isEditedByUser": true
    },
    "isRequired": true
  },
  {
    "instance": {
      "key": {
        "publicId": "read_data_layer",
        "versionId": "1"
      },
      "param": [
        {
          "key": "allowedKeys",
          "value": {
            "type": 1,
            "string": "specific"
          }
        },
        {
          "key": "keyPatterns",
          "value": {
            "type": 2,
            "listItem": [
              {
                "type": 1,
                "string": "kelisim"
              }
            ]
          }
        }
      ]
    },
    "clientAnnotations": {
      "isEditedByUser": true
    },
    "isRequired": true
  },
  {
    "instance": {
      "key": {
        "publicId": "access_template_storage",
        "versionId": "1"
      },
      "param": []
    },
    "clientAnnotations": {
      "isEditedByUser": true
    },
    "isRequired": true
  },
  {
    "instance": {
      "key": {
        "publicId": "logging",
        "versionId": "1"
      },
      "param": [
        {
          "key": "environments",
          "value": {
            "type": 1,
            "string": "debug"
          }
        }
      ]
    },
    "clientAnnotations": {
      "isEditedByUser": true
    },
    "isRequired": true
  },
  {
    "instance": {
      "key": {
        "publicId": "write_data_layer",
        "versionId": "1"
      },
      "param": [
        {
          "key": "keyPatterns",
          "value": {
            "type": 2,
            "listItem": [
              {
                "type": 1,
                "string": "ads_data_redaction"
              }
            ]
          }
        }
      ]
    },
    "clientAnnotations": {
      "isEditedByUser": true
    },
    "isRequired": true
  }
]


___TESTS___

scenarios:
- name: Defaults deny every type and wait for an update
  code: |-
    runCode(mockData);
    assertApi('setDefaultConsentState').wasCalled();
    assertApi('gtmOnSuccess').wasCalled();
- name: Only Metrika grants only kelisim_yandex_metrika
  code: |-
    mock('copyFromDataLayer', (key) => {
      return key === 'kelisim' ? {granted: ['yandex_metrika']} : undefined;
    });
    runCode(mockData);
    assertApi('updateConsentState').wasCalledWith({"kelisim_google_tag_manager":"denied","kelisim_google_analytics":"denied","kelisim_firebase_analytics":"denied","kelisim_yandex_metrika":"granted","kelisim_appsflyer":"denied","kelisim_userx":"denied","kelisim_vk":"denied","kelisim_mail_ru":"denied","kelisim_amplitude":"denied","kelisim_mytarget":"denied","kelisim_microsoft_clarity":"denied","kelisim_juicyscore":"denied","kelisim_matomo":"denied","kelisim_flocktory":"denied","ad_storage":"denied","analytics_storage":"denied","ad_user_data":"denied","ad_personalization":"denied"});
setup: |-
    const mockData = {
      waitForUpdate: 500,
      googleMapping: [{consentType: 'analytics_storage', vendors: 'google_analytics'}]
    };


___NOTES___

Generated from vendors.yaml revision 1 by scripts/build-gtm-template. Setup: docs/gtm.md.


